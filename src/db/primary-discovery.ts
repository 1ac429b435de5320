import { connect } from './connect.js';
import { readGeneration } from './generation.js';
import { highestGeneration, isCurrentGeneration } from './fencing.js';
import { withTimeout } from './with-timeout.js';

/** One configured writer host as seen by a probe. */
export interface HostStatus {
  readonly host: string;
  readonly role: 'primary' | 'standby' | 'unreachable';
  readonly generation: number | null;
  readonly error?: string;
}

export type PrimaryChoice =
  | { readonly kind: 'primary'; readonly primary: HostStatus; readonly highest: number; readonly fenced: readonly HostStatus[] }
  | { readonly kind: 'split-brain'; readonly hosts: readonly string[]; readonly highest: number; readonly fenced: readonly HostStatus[] }
  | { readonly kind: 'none'; readonly detail: string; readonly highest: number; readonly fenced: readonly HostStatus[] };

/**
 * Picks the primary among probed hosts: the writable one with the highest cluster generation.
 * Writable hosts with an older generation are fenced. Two writable hosts at the highest generation
 * (promoted without a bump, or a bump that never happened) are a split brain: writing to either
 * could lose the other's writes, so neither is chosen. Before any generation exists (highest 0)
 * the first writable host is taken, as a plain multi-host URL would.
 */
export function choosePrimary(probes: readonly HostStatus[], previousHighest: number): PrimaryChoice {
  const highest = highestGeneration(previousHighest, probes.map((p) => p.generation));
  const writable = probes.filter((p) => p.role === 'primary');
  const current = (p: HostStatus) => isCurrentGeneration(p.generation, highest);
  const fenced = writable.filter((p) => !current(p));
  const candidates = writable.filter(current);
  if (candidates.length > 1 && highest > 0) return { kind: 'split-brain', hosts: candidates.map((p) => p.host), highest, fenced };
  const primary = candidates[0];
  if (primary) return { kind: 'primary', primary, highest, fenced };
  const seen = probes
    .map((p) => {
      const detail = fenced.includes(p) ? `writable but fenced: cluster generation ${p.generation ?? 'missing'} is older than ${highest}` : (p.error ?? '');
      return `${p.host} ${p.role}${detail ? ` (${detail})` : ''}`;
    })
    .join(', ');
  return { kind: 'none', detail: seen, highest, fenced };
}

/** `host:port` of a connection URL, as hosts are named in status and logs. */
export function hostOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}

/** Asks one host whether it is writable and for its generation, on a connection of its own. */
export async function probeHost(url: string, timeoutMs: number): Promise<HostStatus> {
  const host = hostOf(url);
  const probe = connect(url, { max: 1, connectTimeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) });
  try {
    const [role, generation] = await withTimeout(
      Promise.all([probe<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`, readGeneration(probe)]),
      timeoutMs,
    );
    return { host, role: role[0]!.standby ? 'standby' : 'primary', generation };
  } catch (error) {
    return { host, role: 'unreachable', generation: null, error: (error as Error).message };
  } finally {
    void probe.end({ timeout: 1 }).catch(() => undefined);
  }
}
