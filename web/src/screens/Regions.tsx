import { Alert, Descriptions, Flex, Space, Spin, Tag, Typography } from 'antd';
import { DrillReports } from './DrillReports';
import { RegionCard } from './RegionCard';
import { RegionsDiagram, roleWord } from './RegionsDiagram';
import { formatBytes, formatSeconds, useRegionsFeed, type RegionsFeed, type RegionsView } from './regions-feed';

/**
 * The regions of the cluster, live: a picture of the topology, the cluster's health, generation
 * and RPO exposure, a card per region (servers, lag charts, nodes and what they serve) and the
 * drill reports. Everything comes from one object (GET /api/regions), pushed by its event stream.
 */
export function Regions() {
  const feed = useRegionsFeed();
  const view = feed.view;
  return (
    <section style={{ padding: 24 }} aria-labelledby="regions-title">
      <Flex justify="space-between" align="center" wrap gap={12}>
        <Typography.Title level={2} id="regions-title" style={{ margin: 0 }}>
          Regions
        </Typography.Title>
        <LiveState feed={feed} />
      </Flex>
      {feed.error && <Alert type="error" showIcon message={feed.error} style={{ marginTop: 12 }} />}
      {!view ? (
        <Spin tip="Probing the regions" style={{ display: 'block', marginTop: 48 }}>
          <div style={{ height: 80 }} />
        </Spin>
      ) : (
        <Space direction="vertical" size="large" style={{ width: '100%', marginTop: 16 }}>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
            <Tag color={view.source === 'topology' ? 'blue' : 'default'}>{view.source === 'topology' ? 'from the topology' : "this node's view"}</Tag>
            {view.sourceDetail} Answered by node {view.node.id} in {view.node.region}.
          </Typography.Paragraph>
          <HealthBanner view={view} />
          {view.probeError && (
            <Alert
              type="warning"
              showIcon
              message={`The last probe of the servers failed (${view.probeError}); the servers shown are as of ${view.probedAt ? new Date(view.probedAt).toLocaleTimeString() : 'never'}.`}
            />
          )}
          {view.fleetError && <Alert type="warning" showIcon message={`The fleet could not be read (${view.fleetError}); the nodes shown are from an earlier answer.`} />}
          <RegionsDiagram view={view} />
          <ClusterFacts view={view} />
          <Flex wrap gap={16} align="flex-start">
            {view.regions.map((r) => (
              <RegionCard key={r.name} region={r} servers={view.servers.filter((s) => s.region === r.name)} history={feed.history} primaryRegion={view.primaryRegion} />
            ))}
          </Flex>
          <UnplacedServers view={view} feed={feed} />
          <section aria-labelledby="drills-title">
            <Typography.Title level={3} id="drills-title">
              Drill reports
            </Typography.Title>
            <DrillReports drills={view.drills} />
          </section>
        </Space>
      )}
    </section>
  );
}

function LiveState({ feed }: { feed: RegionsFeed }) {
  const when = feed.view ? `updated ${new Date(feed.view.at).toLocaleTimeString()}` : 'waiting for the first picture';
  const mode = feed.mode === 'live' ? { color: 'success', text: 'Live' } : feed.mode === 'polling' ? { color: 'processing', text: 'Polling every 3 s' } : { color: 'default', text: 'Connecting' };
  return (
    <Space role="status" aria-live="off" aria-label={`${mode.text}, ${when}`}>
      <Tag color={mode.color}>{mode.text}</Tag>
      <Typography.Text type="secondary">{when}</Typography.Text>
    </Space>
  );
}

/** The cluster's health in one sentence: what is wrong and what to do, never said by colour alone. */
function HealthBanner({ view }: { view: RegionsView }) {
  const primary = view.primary ? `${view.primaryRegion ?? 'a server'} (${view.primary})` : null;
  switch (view.health) {
    case 'ok':
      return <Alert type="success" showIcon message={`One primary: ${primary}, cluster generation ${view.highestGeneration ?? 'unknown'}.`} />;
    case 'no-primary':
      return (
        <Alert
          type="error"
          showIcon
          message="No primary: no writable server with the highest cluster generation answers."
          description="Control-plane writes (deploys, releases, tokens) wait; evaluation goes on from memory. If the primary region is lost, promote a standby: verdict dr promote."
        />
      );
    case 'split-brain':
      return <Alert type="error" showIcon message="SPLIT BRAIN: several writable servers share the highest cluster generation; nodes write to none of them." description="Rejoin all but one as standbys: verdict dr rejoin." />;
    case 'fenced':
      return (
        <Alert
          type="error"
          showIcon
          message={`FENCED server: the primary is ${primary}, but an old primary with an older generation is writable too.`}
          description="Verdict nodes refuse it; make it a standby: verdict dr rejoin --region <fenced>."
        />
      );
  }
}

function ClusterFacts({ view }: { view: RegionsView }) {
  const rpo = view.rpoExposure;
  // What the primary would say: unknown without a topology, or while no primary answers.
  const unknown = view.source === 'node' ? 'not known from here (no topology)' : view.primary === null ? 'no primary to ask' : 'the primary did not say';
  return (
    <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 4 }} aria-label="Cluster">
      <Descriptions.Item label="Cluster generation">{view.highestGeneration ?? 'unknown'}</Descriptions.Item>
      <Descriptions.Item label="Replication">
        {view.replication ? `${view.replication.mode}${view.replication.synchronousStandbyNames ? ` (${view.replication.synchronousStandbyNames})` : ''}` : unknown}
      </Descriptions.Item>
      <Descriptions.Item label="RPO exposure">
        {rpo === null ? (
          unknown
        ) : (
          <Space wrap>
            <span>{rpo.bytes === null ? 'no standby streams' : `${formatBytes(rpo.bytes)} · ${formatSeconds(rpo.seconds)}`}</span>
            {rpo.acknowledgedCommitsAtRisk ? <Tag color="red">acknowledged commits at risk</Tag> : <Tag color="green">no acknowledged commit at risk</Tag>}
          </Space>
        )}
      </Descriptions.Item>
      <Descriptions.Item label="Deployed">
        {view.environments.length === 0
          ? 'nothing yet'
          : view.environments.map((e) => `${e.project}/${e.environment}: ${e.deployedRelease ?? 'nothing'}`).join(', ')}
      </Descriptions.Item>
    </Descriptions>
  );
}

/** Servers this node sees but cannot place in a region (no topology). */
function UnplacedServers({ view, feed }: { view: RegionsView; feed: RegionsFeed }) {
  const unplaced = view.servers.filter((s) => s.region === null);
  if (unplaced.length === 0) return null;
  const problems = unplaced.flatMap((s) => (s.role === 'unreachable' || s.fenced || s.splitBrain ? [`PostgreSQL ${s.address} is ${roleWord(s).toLowerCase()}${s.problem ? `: ${s.problem}` : ''}`] : []));
  return (
    <RegionCard
      region={{ name: 'unplaced', inTopology: true, status: problems.length > 0 ? 'failed' : 'ok', problems, nodes: [] }}
      heading="Servers of no known region"
      servers={unplaced}
      history={feed.history}
      primaryRegion={null}
    />
  );
}
