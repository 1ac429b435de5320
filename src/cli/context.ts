import type { Command } from 'commander';
import { ApiClient } from './client.js';
import { CliError, type CliIo } from './io.js';

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** What every command needs: where to print, and an API client built from the global options. */
export class CommandContext {
  constructor(readonly io: CliIo) {}

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  client(cmd: Command): ApiClient {
    const { url, token } = this.globals(cmd);
    const base = url ?? this.io.env.VERDICT_URL ?? 'http://127.0.0.1:8080';
    try {
      new URL(base);
    } catch {
      throw new CliError(`--url/VERDICT_URL is not a URL: ${base}`);
    }
    return new ApiClient(base, token ?? this.io.env.VERDICT_TOKEN);
  }

  json(cmd: Command): boolean {
    return Boolean(this.globals(cmd).json);
  }
}
