import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** Structured JSON logs; secrets in headers are never written. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'verdict' },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-access-token"]', 'token'], censor: '[redacted]' },
    },
    destination,
  );
}
