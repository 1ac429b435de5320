import type { RegionView, RegionsView, ServerView } from './regions-feed';

const BOX_W = 190;
const BOX_H = 96;
const GAP = 70;
const TOP = 56;

const STATUS_STYLE: Record<RegionView['status'], { stroke: string; fill: string; word: string }> = {
  ok: { stroke: '#1a7f37', fill: '#f0fff4', word: 'OK' },
  warning: { stroke: '#9a6700', fill: '#fff8c5', word: 'WARNING' },
  failed: { stroke: '#cf222e', fill: '#ffebe9', word: 'FAILED' },
};

/** A server's role in words, as the picture and its accessible name say it. */
export function roleWord(server: ServerView): string {
  if (server.fenced) return 'FENCED';
  if (server.splitBrain) return 'SPLIT BRAIN';
  return server.role.toUpperCase();
}

/**
 * The topology as a picture: one box per region (its status in words and colour, each server's
 * role and generation) and an arrow from each standby's upstream to it, labelled with its sync
 * state; dashed and red when it does not stream. Its accessible name says the same in a sentence
 * per region, for readers that do not see the picture.
 */
export function RegionsDiagram({ view }: { view: RegionsView }) {
  const regions = view.regions;
  const width = Math.max(480, regions.length * (BOX_W + GAP) - GAP + 40);
  const height = TOP + BOX_H + 24;
  const boxX = (name: string | null) => {
    const i = regions.findIndex((r) => r.name === name);
    return i < 0 ? undefined : 20 + i * (BOX_W + GAP);
  };
  const streams = view.servers.filter((s) => s.role === 'standby' && s.upstreamRegion && s.region && boxX(s.upstreamRegion) !== undefined && boxX(s.region) !== undefined);
  const description = regions
    .map((r) => {
      const servers = view.servers.filter((s) => s.region === r.name);
      const roles = servers.map((s) => `${roleWord(s).toLowerCase()}${s.upstreamRegion ? ` streaming from ${s.upstreamRegion}${s.syncState ? ` (${s.syncState})` : ''}${s.streaming ? '' : ', not streaming'}` : ''}`);
      return `${r.name}: ${STATUS_STYLE[r.status].word.toLowerCase()}${roles.length > 0 ? `, ${roles.join('; ')}` : ''}`;
    })
    .join('. ');

  return (
    <svg role="img" aria-label={`Topology. ${description}.`} viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: width, display: 'block' }}>
      <title>{`Topology. ${description}.`}</title>
      <defs>
        <marker id="regions-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a" />
        </marker>
        <marker id="regions-arrow-broken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#cf222e" />
        </marker>
      </defs>
      {streams.map((s) => {
        const from = boxX(s.upstreamRegion)! + BOX_W / 2;
        const to = boxX(s.region)! + BOX_W / 2;
        const mid = (from + to) / 2;
        const lift = 18 + Math.abs(to - from) / 10;
        const broken = !s.streaming;
        return (
          <g key={s.address}>
            <path
              d={`M ${from} ${TOP} Q ${mid} ${TOP - lift * 2} ${to} ${TOP}`}
              fill="none"
              stroke={broken ? '#cf222e' : '#57606a'}
              strokeWidth={2}
              strokeDasharray={broken ? '6 4' : undefined}
              markerEnd={`url(#${broken ? 'regions-arrow-broken' : 'regions-arrow'})`}
            />
            <text x={mid} y={TOP - lift - 4} fontSize={12} textAnchor="middle" fill={broken ? '#cf222e' : '#24292f'}>
              {broken ? 'not streaming' : (s.syncState ?? 'streams')}
            </text>
          </g>
        );
      })}
      {regions.map((r) => {
        const x = boxX(r.name)!;
        const style = STATUS_STYLE[r.status];
        const servers = view.servers.filter((s) => s.region === r.name);
        return (
          <g key={r.name}>
            <rect x={x} y={TOP} width={BOX_W} height={BOX_H} rx={8} fill={style.fill} stroke={style.stroke} strokeWidth={r.status === 'ok' ? 1.5 : 3} />
            <text x={x + 12} y={TOP + 22} fontSize={14} fontWeight={600} fill="#24292f">
              {r.name}
            </text>
            <text x={x + BOX_W - 12} y={TOP + 22} fontSize={11} fontWeight={600} textAnchor="end" fill={style.stroke}>
              {r.status === 'failed' ? `✕ ${style.word}` : r.status === 'warning' ? `! ${style.word}` : `✓ ${style.word}`}
            </text>
            {servers.slice(0, 2).map((s, i) => (
              <text key={s.address} x={x + 12} y={TOP + 46 + i * 18} fontSize={12} fill={s.role === 'unreachable' || s.fenced || s.splitBrain ? '#cf222e' : '#24292f'}>
                {`${roleWord(s)}${s.generation === null ? '' : ` · gen ${s.generation}`}`}
              </text>
            ))}
            {servers.length === 0 && (
              <text x={x + 12} y={TOP + 46} fontSize={12} fill="#57606a">
                no server known here
              </text>
            )}
            <text x={x + 12} y={TOP + BOX_H - 10} fontSize={11} fill="#57606a">
              {`${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
