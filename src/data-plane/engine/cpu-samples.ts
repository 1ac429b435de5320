import { readFileSync } from 'node:fs';

const CPU_HISTORY_MS = 15_000;
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process in ms, from /proc/<pid>/stat; undefined where there is no /proc. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * A process's CPU time over the last seconds (Linux /proc), so the pool can tell a host that burns
 * CPU on a runaway evaluation from one that is merely starved on a busy machine.
 */
export class CpuSamples {
  readonly #samples: { at: number; cpuMs: number }[] = [];

  sample(pid: number | undefined, now: number): void {
    const cpu = processCpuMs(pid);
    if (cpu === undefined) return;
    this.#samples.push({ at: now, cpuMs: cpu });
    while (this.#samples.length > 0 && this.#samples[0]!.at < now - CPU_HISTORY_MS) this.#samples.shift();
  }

  /**
   * CPU time (ms) used since about `from`: from the newest sample at or before `from` (else the
   * oldest sample) to the latest. Undefined where unknown (no /proc, no samples yet).
   */
  since(from: number): number | undefined {
    const last = this.#samples[this.#samples.length - 1];
    let base = this.#samples[0];
    for (const sample of this.#samples) {
      if (sample.at > from) break;
      base = sample;
    }
    if (!last || !base || last === base) return undefined;
    return last.cpuMs - base.cpuMs;
  }
}
