/** Where a CLI run reads and writes: the real process, or a test's buffers. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** stdout is a terminal. */
  readonly isTTY: boolean;
  /** stderr is a terminal: notes for a person watching (retries) go there, never into a pipeline's log. */
  readonly stderrIsTTY: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  isTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** An error the CLI reports as one line on stderr, with an exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    /** The server's problem document behind it: printed whole with --json, its `errors` listed without. */
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

/** An RFC 9457 problem document as the API sends it (`errors` on validation problems). */
export interface Problem {
  readonly title?: string;
  readonly detail?: string;
  readonly code?: string;
  readonly status?: number;
  readonly errors?: readonly unknown[];
  readonly [member: string]: unknown;
}

/** The command line itself is wrong (an option value, a missing or conflicting option, a bad JSON argument): exit 2. */
export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);
