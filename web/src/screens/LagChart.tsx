import { formatBytes, formatSeconds, HISTORY, type LagPoint } from './regions-feed';

const WIDTH = 240;
const HEIGHT = 56;
const PAD = { left: 4, right: 4, top: 6, bottom: 6 };

/**
 * A standby's replay lag over the last samples, drawn as an SVG polyline (no chart library: one
 * line of a few dozen points). Seconds on the vertical axis, scaled to the largest sample shown;
 * a sample without a figure (the standby did not answer) breaks the line. The accessible name
 * says the figures the picture shows.
 */
export function LagChart({ server, points }: { server: string; points: readonly LagPoint[] }) {
  const values = points.map((p) => p.seconds);
  const known = values.filter((v): v is number => v !== null);
  const peak = Math.max(0.001, ...known);
  const last = points.at(-1);
  const x = (i: number) => PAD.left + (i / Math.max(1, HISTORY - 1)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / peak) * (HEIGHT - PAD.top - PAD.bottom);
  // Right-aligned: the newest sample is always at the right edge.
  const offset = HISTORY - points.length;
  const segments: string[][] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length > 0) segments.push(current);
      current = [];
      return;
    }
    current.push(`${x(offset + i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length > 0) segments.push(current);
  const label =
    `Replay lag of standby ${server}: now ${formatSeconds(last?.seconds ?? null)} (${formatBytes(last?.bytes ?? null)}), ` +
    `highest ${known.length > 0 ? formatSeconds(Math.max(...known)) : '–'} over the last ${points.length} sample${points.length === 1 ? '' : 's'}`;
  return (
    <svg role="img" aria-label={label} width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} style={{ display: 'block', background: '#f6f8fa', borderRadius: 4 }}>
      <title>{label}</title>
      <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} stroke="#d0d7de" />
      {segments.map((segment, i) =>
        segment.length === 1 ? (
          <circle key={i} cx={segment[0]!.split(',')[0]} cy={segment[0]!.split(',')[1]} r={2} fill="#1f6feb" />
        ) : (
          <polyline key={i} points={segment.join(' ')} fill="none" stroke="#1f6feb" strokeWidth={2} strokeLinejoin="round" />
        ),
      )}
      <text x={WIDTH - PAD.right} y={PAD.top + 8} fontSize={10} textAnchor="end" fill="#57606a">
        {formatSeconds(known.length > 0 ? peak : null)}
      </text>
    </svg>
  );
}
