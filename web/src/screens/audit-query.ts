/** The audit screen's filters as its URL holds them (?actor=...&from=2026-01-31), and as the API takes them. */
export interface AuditFilters {
  readonly actor?: string;
  readonly action?: string;
  readonly project?: string;
  readonly target?: string;
  /** Days (YYYY-MM-DD), in the browser's time zone; `to` is included. */
  readonly from?: string;
  readonly to?: string;
}

export const FILTER_NAMES = ['actor', 'action', 'project', 'target', 'from', 'to'] as const;

/** What the server records; a prefix ending in .* matches a group. */
export const AUDIT_ACTIONS = [
  'project.*',
  'project.create',
  'environment.create',
  'decision.*',
  'decision.save',
  'decision.delete',
  'decision.rename',
  'release.create',
  'deployment.*',
  'deployment.deploy',
  'deployment.rollback',
  'evaluation-token.*',
  'evaluation-token.create',
  'evaluation-token.revoke',
  'api-token.*',
  'api-token.create',
  'api-token.revoke',
  'api-token.bootstrap',
  'package.apply',
  'webhook.*',
  'webhook.create',
  'webhook.delete',
  'console-session.*',
  'console-session.sign-in',
  'console-session.sign-out',
] as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFrom(params: URLSearchParams): AuditFilters {
  const filters: Record<string, string> = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name)?.trim();
    if (value && ((name !== 'from' && name !== 'to') || DAY.test(value))) filters[name] = value;
  }
  return filters;
}

export function searchFrom(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name]?.trim();
    if (value) params.set(name, value);
  }
  return params;
}

// The start of a local day, as the instant the server compares with.
const startOfDay = (day: string, plusDays = 0) => {
  const at = new Date(`${day}T00:00:00`);
  at.setDate(at.getDate() + plusDays);
  return at.toISOString();
};

/** The API's query: days become instants (`until` is exclusive, so the `to` day is included). */
export function apiQuery(filters: AuditFilters) {
  return {
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.project ? { project: filters.project } : {}),
    ...(filters.target ? { target: filters.target } : {}),
    ...(filters.from ? { since: startOfDay(filters.from) } : {}),
    ...(filters.to ? { until: startOfDay(filters.to, 1) } : {}),
  };
}

/** The CSV download of the same filters (the session cookie authenticates a plain link). */
export function csvHref(filters: AuditFilters): string {
  const params = new URLSearchParams(apiQuery(filters));
  const query = params.toString();
  return `/api/audit.csv${query ? `?${query}` : ''}`;
}
