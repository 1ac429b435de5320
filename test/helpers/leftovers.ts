import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Leftover {
  readonly pid: number;
  readonly command: string;
}

/**
 * Processes whose command line or working directory lies under `root` (Linux /proc). Every server,
 * lab and cluster a test run starts lives under the run's own temporary folder, so this finds
 * whatever a failed or timed-out test left behind.
 */
export function processesUnder(root: string): Leftover[] {
  const found: Leftover[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return found; // no /proc: nothing to find
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // exited meanwhile, or not ours to read
      }
      if (command.includes(root) || cwd.startsWith(root)) found.push({ pid: Number(pid), command: command.slice(0, 200) });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** SIGKILLs every process left under `root`; returns what it found. */
export function killLeftovers(root: string): Leftover[] {
  const found = processesUnder(root);
  for (const { pid } of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return found;
}
