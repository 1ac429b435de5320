export interface IsolatedDecision {
  readonly decision: string;
  readonly reason: 'slow' | 'timeout' | 'crash';
  readonly since: string;
  readonly until: string;
}

interface Entry {
  label: string;
  reason: IsolatedDecision['reason'];
  readonly since: number;
  until: number;
}

const SEVERITY = { slow: 0, timeout: 1, crash: 2 } as const;

/**
 * Decisions that hit a bound (slow, timed out, crashed a host), by namespace and key, each for a
 * while: their evaluations run in the isolated lane until then. A release is a namespace, so a new
 * deployment of a fixed decision starts afresh in the serving lane.
 */
/**
 * Labels of the load-time checks of compiled decisions (compiled-release.ts): they name the
 * release, not a project and environment, so a tenant's request that trips the same decision
 * gives the entry its own, more telling label.
 */
export const CHECK_LABEL_PREFIX = 'check ';

export class Isolation {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly forMs: number) {}

  /** True when this is news (the decision was not isolated yet). */
  add(ns: string, key: string, label: string, reason: IsolatedDecision['reason']): boolean {
    const id = `${ns}\0${key}`;
    const now = Date.now();
    const existing = this.#entries.get(id);
    if (existing && existing.until > now) {
      existing.until = now + this.forMs;
      if (existing.label.startsWith(CHECK_LABEL_PREFIX) && !label.startsWith(CHECK_LABEL_PREFIX)) existing.label = label;
      if (SEVERITY[reason] > SEVERITY[existing.reason]) existing.reason = reason;
      return false;
    }
    this.#entries.set(id, { label, reason, since: now, until: now + this.forMs });
    return true;
  }

  has(ns: string, key: string): boolean {
    if (this.#entries.size === 0) return false; // the common case costs one comparison
    const id = `${ns}\0${key}`;
    const entry = this.#entries.get(id);
    if (!entry) return false;
    if (entry.until > Date.now()) return true;
    this.#entries.delete(id);
    return false;
  }

  forgetNamespace(ns: string): void {
    const prefix = `${ns}\0`;
    for (const id of this.#entries.keys()) if (id.startsWith(prefix)) this.#entries.delete(id);
  }

  list(): IsolatedDecision[] {
    const now = Date.now();
    const list: IsolatedDecision[] = [];
    for (const [id, e] of this.#entries) {
      if (e.until <= now) {
        this.#entries.delete(id);
        continue;
      }
      list.push({ decision: e.label, reason: e.reason, since: new Date(e.since).toISOString(), until: new Date(e.until).toISOString() });
    }
    return list;
  }
}
