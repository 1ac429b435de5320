import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in-process with captured output, against a server URL and token. */
export async function runCli(
  args: string[],
  options: { url: string; token?: string; cwd?: string; env?: Record<string, string>; stderrIsTTY?: boolean },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { VERDICT_URL: options.url, ...(options.token ? { VERDICT_TOKEN: options.token } : {}), ...options.env },
    cwd: options.cwd ?? process.cwd(),
    isTTY: false,
    stderrIsTTY: options.stderrIsTTY ?? false,
  };
  const code = await main(['node', 'verdict', ...args], io);
  return { code, stdout, stderr };
}
