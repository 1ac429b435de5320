import { Card, List, Space, Tag, Typography } from 'antd';
import { LagChart } from './LagChart';
import { roleWord } from './RegionsDiagram';
import { formatBytes, formatSeconds, type LagPoint, type RegionView, type ServerView } from './regions-feed';

const STATUS = {
  ok: { color: 'success', text: 'OK', border: '#d0d7de' },
  warning: { color: 'warning', text: 'Warning', border: '#bf8700' },
  failed: { color: 'error', text: 'Failed', border: '#cf222e' },
} as const;

function roleColor(server: ServerView): string {
  if (server.role === 'unreachable' || server.fenced || server.splitBrain) return 'red';
  return server.role === 'primary' ? 'blue' : 'geekblue';
}

/**
 * One region: its status in words (and colour), the reasons for it, each PostgreSQL server with
 * its role, generation, upstream and lag chart, and each Verdict node with the release it serves
 * per environment. A landmark named after the region, so it can be found and read on its own.
 */
export function RegionCard({
  region,
  servers,
  history,
  primaryRegion,
  heading,
}: {
  region: RegionView;
  servers: readonly ServerView[];
  history: ReadonlyMap<string, readonly LagPoint[]>;
  primaryRegion: string | null;
  /** Servers that belong to no known region: this heading, and no nodes. */
  heading?: string;
}) {
  const status = STATUS[region.status];
  const headingId = `region-${region.name.replace(/\W/g, '-')}`;
  const title = heading ?? `Region ${region.name}`;
  return (
    <section aria-labelledby={headingId} data-status={region.status} style={{ flex: '1 1 340px', minWidth: 320, maxWidth: 560 }}>
      <Card
        style={{ borderColor: status.border, borderWidth: region.status === 'ok' ? 1 : 2 }}
        title={
          <Space>
            <Typography.Title level={4} id={headingId} style={{ margin: 0 }}>
              {title}
            </Typography.Title>
            {region.name === primaryRegion && <Tag color="blue">primary region</Tag>}
            {!region.inTopology && <Tag>not in the topology</Tag>}
          </Space>
        }
        extra={
          <Tag color={status.color} role="status" aria-label={`${title} status: ${status.text}`}>
            {status.text}
          </Tag>
        }
      >
        {region.problems.length > 0 && (
          <ul aria-label={`Problems: ${title}`} style={{ paddingLeft: 18, marginTop: 0, color: region.status === 'failed' ? '#cf222e' : '#9a6700' }}>
            {region.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <Typography.Text strong>PostgreSQL</Typography.Text>
        {servers.length === 0 && (
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
            No server of this region is known to this node.
          </Typography.Paragraph>
        )}
        {servers.map((s) => (
          <ServerBlock key={s.address} server={s} points={history.get(s.address) ?? []} />
        ))}
        {heading === undefined && (
          <>
            <Typography.Text strong style={{ display: 'block', marginTop: 12 }}>
              Verdict nodes
            </Typography.Text>
            <NodeList nodes={region.nodes} />
          </>
        )}
      </Card>
    </section>
  );
}

function ServerBlock({ server, points }: { server: ServerView; points: readonly LagPoint[] }) {
  const standby = server.role === 'standby';
  return (
    <div style={{ padding: '8px 0', borderBottom: '1px solid #f0f0f0' }}>
      <Space wrap>
        <Typography.Text code>{server.address}</Typography.Text>
        <Tag color={roleColor(server)}>{roleWord(server)}</Tag>
        {server.generation !== null && <Typography.Text>generation {server.generation}</Typography.Text>}
        {server.timeline !== null && <Typography.Text type="secondary">timeline {server.timeline}</Typography.Text>}
      </Space>
      {standby && (
        <div>
          <Typography.Text type={server.streaming ? undefined : 'danger'}>
            {server.streaming ? 'streams' : 'does not stream'} from {server.upstreamRegion ?? 'an upstream'}
            {server.upstream ? ` (${server.upstream})` : ''}
          </Typography.Text>
          {server.syncState && <Tag style={{ marginLeft: 8 }}>{server.syncState}</Tag>}
        </div>
      )}
      {server.problem && server.role !== 'unreachable' && !standby && <Typography.Text type="danger">{server.problem}</Typography.Text>}
      {(standby || points.length > 0) && (
        <div style={{ marginTop: 6 }}>
          <Typography.Text type="secondary">
            replay lag {formatSeconds(server.replayLagSeconds)} · {formatBytes(server.replayLagBytes)}
          </Typography.Text>
          <LagChart server={server.address} points={points} />
        </div>
      )}
    </div>
  );
}

/** Each node of the region: version, what it reads from, stale, and the release it serves per environment. */
function NodeList({ nodes }: { nodes: RegionView['nodes'] }) {
  return (
    <List
      size="small"
      dataSource={nodes}
      locale={{ emptyText: 'No node of this region has reported in the last hour' }}
      renderItem={(node) => (
        <List.Item>
          <Space direction="vertical" size={2} style={{ width: '100%' }}>
            <Space wrap>
              <Typography.Text code>{node.nodeId}</Typography.Text>
              <Typography.Text type="secondary">v{node.version}</Typography.Text>
              <Typography.Text type="secondary">reads from {node.dbRole}</Typography.Text>
              {node.stale && <Tag color="red">STALE: no heartbeat since {new Date(node.lastSeenAt).toLocaleTimeString()}</Tag>}
            </Space>
            <Space wrap size={4}>
              {node.serving.length === 0 && <Typography.Text type="secondary">serves no environment</Typography.Text>}
              {node.serving.map((e) => (
                <Tag key={`${e.project}/${e.environment}`} color={e.status === 'in-sync' ? 'default' : e.status === 'stale' ? 'red' : 'orange'}>
                  {e.project}/{e.environment}: {e.releaseLabel ?? 'nothing'}
                  {e.status === 'out-of-sync' ? ' (out of sync)' : e.status === 'stale' ? ' (stale)' : ''}
                </Tag>
              ))}
            </Space>
          </Space>
        </List.Item>
      )}
    />
  );
}
