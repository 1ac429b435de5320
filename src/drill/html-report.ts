import type { DrillReport } from './drill.js';

const COLORS = ['#2563eb', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#7c2d12', '#334155'];

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A self-contained HTML page (no scripts, no external assets) with the drill's verdict, its
 * figures and a timeline chart: good evaluations per second per region, errors per second,
 * acknowledged writes per second, and markers for the kill and the promotion.
 */
export function drillHtml(report: DrillReport): string {
  const regions = [...new Set(report.series.map((p) => p.region))];
  const seconds = Math.max(1, ...report.series.map((p) => p.second + 1), ...report.writeSeries.map((p) => p.second + 1));
  const width = 900;
  const height = 320;
  const pad = { left: 56, right: 16, top: 16, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const maxRate = Math.max(1, ...report.series.map((p) => Math.max(p.ok, p.errors)), ...report.writeSeries.map((p) => p.acknowledged));
  const x = (second: number) => pad.left + (second / seconds) * plotW;
  const y = (value: number) => pad.top + plotH - (value / maxRate) * plotH;
  const line = (points: readonly [number, number][], color: string, dash = '') =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${points.map(([s, v]) => `${x(s + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;

  const lines: string[] = [];
  const legend: string[] = [];
  regions.forEach((region, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = report.series.filter((p) => p.region === region).map((p) => [p.second, p.ok] as [number, number]);
    const errors = report.series.filter((p) => p.region === region).map((p) => [p.second, p.errors] as [number, number]);
    lines.push(line(points, color));
    if (errors.some(([, v]) => v > 0)) lines.push(line(errors, '#dc2626', '4 3'));
    legend.push(`<span style="color:${color}">■</span> ${escape(region)} evaluations/s`);
  });
  lines.push(line(report.writeSeries.map((p) => [p.second, p.acknowledged] as [number, number]), '#111827', '1 3'));
  legend.push('<span style="color:#dc2626">- -</span> errors/s', '<span style="color:#111827">···</span> acknowledged deploys/s');

  const marker = (ms: number, label: string, color: string) => {
    const at = x(ms / 1000);
    return `<line x1="${at}" x2="${at}" y1="${pad.top}" y2="${pad.top + plotH}" stroke="${color}" stroke-width="1.5"/><text x="${at + 4}" y="${pad.top + 12}" font-size="12" fill="${color}">${escape(label)}</text>`;
  };
  const ticks = Array.from({ length: 6 }, (_, i) => Math.round((maxRate * i) / 5));
  const xTicks = Array.from({ length: Math.min(seconds, 10) + 1 }, (_, i) => Math.round((seconds * i) / Math.min(seconds, 10)));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="requests per second per region over time">
  ${ticks.map((t) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${pad.left - 6}" y="${y(t) + 4}" font-size="11" text-anchor="end">${t}</text>`).join('')}
  ${xTicks.map((s) => `<text x="${x(s)}" y="${height - pad.bottom + 16}" font-size="11" text-anchor="middle">${s}s</text>`).join('')}
  <text x="${pad.left + plotW / 2}" y="${height - 4}" font-size="11" text-anchor="middle">seconds since the load started</text>
  ${lines.join('\n  ')}
  ${marker(report.kill.startedAtMs, `kill ${report.kill.region}`, '#dc2626')}
  ${marker(report.promotion.finishedAtMs, `${report.promotion.promoted} promoted`, '#16a34a')}
</svg>`;

  const rows = report.evaluations
    .map(
      (e) =>
        `<tr><td>${escape(e.region)}${e.killed ? ' (killed)' : ''}</td><td>${e.requests}</td><td>${e.errors}</td><td>${e.errorsAfterKill}</td><td>${e.p50Ms ?? '-'}</td><td>${e.p99Ms ?? '-'}</td><td>${escape(Object.entries(e.errorKinds).map(([k, n]) => `${k}: ${n}`).join(', ') || '-')}</td></tr>`,
    )
    .join('\n');
  const checks = report.checks.map((c) => `<li class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✓' : '✗'} <b>${escape(c.name)}</b>: ${escape(c.detail)}</li>`).join('\n');
  const steps = report.promotion.steps.map((s) => `<tr><td>${s.startedAtMs}</td><td>${s.tookMs}</td><td>${escape(s.step)}</td></tr>`).join('\n');
  const c = report.config;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Verdict DR drill ${escape(report.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:960px;margin:24px auto;padding:0 16px;color:#111827}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:left}
.ok{color:#15803d}.bad{color:#b91c1c}.verdict{font-size:18px;font-weight:600}ul{padding-left:18px}li{list-style:none}
</style></head><body>
<h1>Verdict disaster-recovery drill</h1>
<p>${escape(report.startedAt)} · ${c.regions} regions × ${c.nodesPerRegion} node(s) · ${c.topology} · ${c.replication.mode} replication · ${c.durationS} s · ${c.concurrency} evaluation loop(s) per region · ${c.writesPerSecond} deploys/s</p>
<p class="verdict ${report.passed ? 'ok' : 'bad'}">${report.passed ? 'PASSED' : 'FAILED'}</p>
<ul>${checks}</ul>
<h2>Timeline</h2>
${svg}
<p>${legend.join(' &nbsp; ')}</p>
<h2>Writes</h2>
<p>${report.writes.attempted} attempted, ${report.writes.acknowledged} acknowledged, <b>${report.writes.lost.length} lost</b>, ${report.writes.duplicates.length} duplicated,
${report.writes.unacknowledged} unacknowledged (${report.writes.unacknowledgedApplied} of them applied). Write RTO ${report.writes.rtoMs ?? '-'} ms (start of the kill to the first acknowledged write), longest gap between acknowledgements ${report.writes.longestGapMs} ms.</p>
<h2>Evaluations</h2>
<table><tr><th>region</th><th>requests</th><th>errors</th><th>errors after kill</th><th>p50 ms</th><th>p99 ms</th><th>error kinds</th></tr>
${rows}</table>
${report.evaluationDowntimeMs === null ? '' : `<p>Evaluation downtime through the front: ${report.evaluationDowntimeMs} ms.</p>`}
<p>Propagation after recovery: ${report.propagation.ms ?? '-'} ms (a deploy on the new primary until all ${report.propagation.nodes} surviving node(s) served it).</p>
<h2>Promotion of ${escape(report.promotion.promoted)} (${report.promotion.totalMs} ms)</h2>
<table><tr><th>at ms</th><th>took ms</th><th>step</th></tr>
${steps}</table>
</body></html>
`;
}
