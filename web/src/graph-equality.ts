/** JSON with object keys sorted: two graphs that differ only in key order compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Whether two decision graphs have the same nodes and edges (what the editor edits). */
export function sameGraph(a: { nodes?: unknown; edges?: unknown }, b: { nodes?: unknown; edges?: unknown }): boolean {
  return canonical([a.nodes ?? [], a.edges ?? []]) === canonical([b.nodes ?? [], b.edges ?? []]);
}
