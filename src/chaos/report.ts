import type { ScenarioResult } from './scenario.js';

/** What makes a scenario fail: any of these is a bug (or a checker finding) to look at. */
export function problems(result: ScenarioResult): string[] {
  const found: string[] = [];
  if (result.error !== null) found.push(`error: ${result.error}`);
  if (result.writes) {
    // Async mode loses what the standbys had not received; only losses beyond the lag are wrong.
    const wrongLosses = result.mode === 'sync' ? result.writes.lost : result.lostBeyondLag;
    if (wrongLosses.length > 0) found.push(`lost ${wrongLosses.join(', ')}${result.mode === 'async' ? ' (not explained by the lag seen before the fault)' : ''}`);
    if (result.writes.duplicates.length > 0) found.push(`duplicated ${result.writes.duplicates.join(', ')}`);
    if (result.writes.unexpected.length > 0) found.push(`unexpected ${result.writes.unexpected.join(', ')}`);
  }
  for (const region of result.evaluations) {
    if (region.errors > 0) found.push(`${region.region}: ${region.errors} evaluation errors (${Object.entries(region.errorKinds).map(([k, n]) => `${k} ×${n}`).join(', ')})`);
  }
  const mixed = Object.entries(result.mixed);
  if (mixed.length > 0) found.push(`mixed release served by ${mixed.map(([node, n]) => `${node} ×${n}`).join(', ')}`);
  if (result.error === null && !result.recovered) found.push('did not recover: a node takes no write or does not serve the last deploy');
  return found;
}

/** One line per scenario: name, mode, writes (attempted/acknowledged/lost/duplicated/unexpected), evaluation errors by region, mixed, write RTO. */
export function scenarioLine(index: number, total: number, result: ScenarioResult): string {
  const w = result.writes;
  const writes = w
    ? `writes ${result.attempted} acked ${w.acknowledged} lost ${w.lost.length} dup ${w.duplicates.length} unexpected ${w.unexpected.length} unknown ${w.unacknowledged} (${w.unacknowledgedApplied} applied)`
    : `writes ${result.attempted} (no final read)`;
  const evals = result.evaluations.map((r) => `${r.region} ${r.errors}/${r.requests}${r.outageRequests > 0 ? ` (+${r.outageErrors}/${r.outageRequests} out)` : ''}`).join(' ');
  const mixed = Object.values(result.mixed).reduce((a, b) => a + b, 0);
  const verdict = problems(result).length === 0 ? 'ok' : 'FAIL';
  return [
    `${verdict} ${String(index).padStart(2)}/${total} ${result.name} [${result.mode}]`,
    writes,
    `eval errors ${evals || '-'}`,
    `mixed ${mixed}`,
    `rto ${result.rtoMs === null ? '-' : `${result.rtoMs}ms`} gap ${result.longestGapMs}ms${result.mode === 'async' ? ` lag ${result.lagsMs.map((l) => `${l}ms`).join(',') || '-'}` : ''}`,
    `${(result.durationMs / 1000).toFixed(1)}s`,
  ].join(' | ');
}

/** The run's last line, in the form the issue fixed. */
export function summaryLine(results: readonly ScenarioResult[], prefix = 'chaos'): string {
  const sum = (f: (r: ScenarioResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const acknowledged = sum((r) => r.writes?.acknowledged ?? 0);
  const lost = sum((r) => r.writes?.lost.length ?? 0);
  const duplicated = sum((r) => r.writes?.duplicates.length ?? 0);
  const errors = sum((r) => r.evaluations.reduce((n, e) => n + e.errors, 0));
  const beyond = sum((r) => r.lostBeyondLag.length);
  const lostText = prefix === 'chaos async' ? `${lost} lost (${beyond} beyond the lag before the fault)` : `${lost} lost`;
  return `${prefix}: ${results.length} scenarios, ${acknowledged} acknowledged writes, ${lostText}, ${duplicated} duplicated, ${errors} surviving-region evaluation errors`;
}
