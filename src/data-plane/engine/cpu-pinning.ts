import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * zen-engine runs evaluations on a pool of threads sized to the CPUs the process may use, and pins
 * each evaluation to one thread: measured here, with two threads, half of the quick evaluations
 * queued behind a runaway one and half did not, so nobody could tell which request was the runaway.
 * A host pinned to one CPU gets one engine thread: its evaluations run one after another, and the
 * oldest one still running is the one holding the rest (it was also faster per evaluation: no
 * wake-ups across cores). Linux only, with util-linux's taskset; elsewhere hosts are not pinned.
 */
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** The CPUs this process may run on (Linux: /proc/self/status), or undefined. */
export function allowedCpus(): number[] | undefined {
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (!line) return undefined;
    const cpus: number[] = [];
    for (const part of line.trim().split(',')) {
      const [from, to] = part.split('-').map(Number);
      if (from === undefined || !Number.isInteger(from)) return undefined;
      for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
    }
    return cpus.length > 0 ? cpus : undefined;
  } catch {
    return undefined;
  }
}

/** Whether hosts can be pinned here. */
export const canPin = (): boolean => TASKSET !== undefined && allowedCpus() !== undefined;

/** The command line that runs `args` (node and its arguments) on one CPU, or unchanged. */
export function pinnedCommand(cpu: number | undefined, command: string, args: readonly string[]): { command: string; args: string[] } {
  if (cpu === undefined || TASKSET === undefined) return { command, args: [...args] };
  return { command: TASKSET, args: ['-c', String(cpu), command, ...args] };
}

/** Moves a running process (all its threads) to another CPU; best effort. */
export function repin(pid: number, cpu: number, onError: (error: Error) => void): void {
  if (TASKSET === undefined) return;
  execFile(TASKSET, ['-a', '-p', '-c', String(cpu), String(pid)], (error) => {
    if (error) onError(error);
  });
}
