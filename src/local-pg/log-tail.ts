import { readFileSync, statSync } from 'node:fs';

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last lines of a server log written since `from`, for an error message. */
export function tail(file: string, from: number): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8');
    return text.split('\n').slice(-15).join('\n').trim();
  } catch {
    return '(no log)';
  }
}
