import type { EngineHostProcess } from './host-process.js';

/** How long past its deadline a starved load may wait for CPU before the node gives up on it. */
const STARVED_CAP_FACTOR = 10;

export type LoadVerdict = 'costly' | 'starved';

/**
 * The deadline of loading a graph (a save's check) counts the engine's CPU, not the wall clock:
 * on a busy machine a host at lower priority may get a fraction of a core, and a valid large
 * graph must not be refused as "too costly" for that (seen: a 3 MiB table at load average 20). At
 * each deadline the host is stopped if it spent at least half of it on CPU (the graph is costly),
 * or once it has waited STARVED_CAP_FACTOR deadlines (the machine is too busy: the caller should
 * say "retry", not "invalid"). Where CPU time is unknown (no /proc), the wall clock decides.
 */
export function watchLoad(host: EngineHostProcess, timeoutMs: number): { verdict(): LoadVerdict | undefined; cancel(): void } {
  const started = Date.now();
  host.sampleCpu(started);
  let verdict: LoadVerdict | undefined;
  let timer: NodeJS.Timeout;
  const check = () => {
    const now = Date.now();
    host.sampleCpu(now);
    const used = host.cpuSince(started);
    if (used === undefined || used >= timeoutMs / 2) verdict = 'costly';
    else if (now - started >= timeoutMs * STARVED_CAP_FACTOR) verdict = 'starved';
    if (verdict) host.stop('deadline');
    else timer = setTimeout(check, timeoutMs);
  };
  timer = setTimeout(check, timeoutMs);
  return { verdict: () => verdict, cancel: () => clearTimeout(timer) };
}
