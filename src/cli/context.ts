import type { Command } from 'commander';
import { ApiClient } from './client.js';
import { usageError, type CliIo } from './io.js';

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  timeout?: string;
}

/** What every command needs: where to print, and an API client built from the global options. */
export class CommandContext {
  constructor(readonly io: CliIo) {}

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  /** `auth` replaces the API token, e.g. with an evaluation token's header. */
  client(cmd: Command, auth?: { readonly headers: Readonly<Record<string, string>> }): ApiClient {
    const { url, token, timeout } = this.globals(cmd);
    const base = url ?? this.io.env.VERDICT_URL ?? 'http://127.0.0.1:8080';
    try {
      new URL(base);
    } catch {
      throw usageError(`--url/VERDICT_URL is not a URL: ${base}`);
    }
    const timeoutText = timeout ?? this.io.env.VERDICT_TIMEOUT_MS ?? '120000';
    const timeoutMs = Number(timeoutText);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw usageError(`--timeout/VERDICT_TIMEOUT_MS must be a positive number of milliseconds, not '${timeoutText}'`);
    // Retry notes are for a person watching a terminal; a pipeline's log gets the outcome only.
    const onRetry = this.io.stderrIsTTY ? (note: string) => this.io.stderr(`verdict: ${note}\n`) : undefined;
    if (auth) return new ApiClient(base, undefined, { timeoutMs, headers: auth.headers, onRetry });
    return new ApiClient(base, token ?? this.io.env.VERDICT_TOKEN, { timeoutMs, onRetry });
  }

  json(cmd: Command): boolean {
    return Boolean(this.globals(cmd).json);
  }
}
