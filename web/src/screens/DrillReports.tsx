import { Alert, Table, Tag, Typography } from 'antd';
import type { RegionsView } from './regions-feed';

type Drill = RegionsView['drills']['reports'][number];

/** The drill reports the node lists, with verdict, RPO and RTO; each opens its HTML timeline in a new tab. */
export function DrillReports({ drills }: { drills: RegionsView['drills'] }) {
  if (!drills.configured) {
    return (
      <Typography.Paragraph type="secondary">
        No drill report folder is configured on this node (VERDICT_DRILL_REPORTS). A lab&apos;s nodes list <Typography.Text code>&lt;lab&gt;/drills</Typography.Text>, where{' '}
        <Typography.Text code>verdict dr drill --dir &lt;lab&gt;</Typography.Text> keeps every report.
      </Typography.Paragraph>
    );
  }
  return (
    <>
      {drills.error && <Alert type="warning" showIcon message={drills.error} style={{ marginBottom: 12 }} />}
      <Table<Drill>
        aria-label="Drill reports"
        rowKey="name"
        size="small"
        pagination={false}
        dataSource={drills.reports}
        locale={{ emptyText: 'No drill report yet: verdict dr drill --dir <lab> (or --html and --json into this folder)' }}
        columns={[
          {
            title: 'Report',
            key: 'name',
            render: (_: unknown, d) => (
              <a href={`/api/regions/drills/${encodeURIComponent(d.name)}`} target="_blank" rel="noopener noreferrer">
                {d.name}
              </a>
            ),
          },
          { title: 'Started', key: 'startedAt', render: (_: unknown, d) => (d.startedAt ? new Date(d.startedAt).toLocaleString() : '–') },
          {
            title: 'Verdict',
            key: 'passed',
            render: (_: unknown, d) =>
              d.passed === null ? (
                <Tag>unknown (no JSON report)</Tag>
              ) : d.passed ? (
                <Tag color="success">PASSED</Tag>
              ) : (
                <Tag color="error" title={d.failedChecks.join(', ')}>
                  FAILED{d.failedChecks.length > 0 ? `: ${d.failedChecks.join(', ')}` : ''}
                </Tag>
              ),
          },
          { title: 'Replication', key: 'replication', render: (_: unknown, d) => d.replication ?? '–' },
          { title: 'Lost writes (RPO)', key: 'rpo', render: (_: unknown, d) => (d.lostWrites === null ? '–' : `${d.lostWrites} of ${d.acknowledgedWrites ?? '?'}`) },
          { title: 'Write RTO', key: 'rto', render: (_: unknown, d) => (d.writeRtoMs === null ? '–' : `${(d.writeRtoMs / 1000).toFixed(1)} s`) },
          { title: 'Promotion', key: 'promotion', render: (_: unknown, d) => (d.promotionMs === null ? '–' : `${(d.promotionMs / 1000).toFixed(1)} s`) },
          { title: 'Lost → promoted', key: 'regions', render: (_: unknown, d) => `${d.killedRegion ?? '?'} → ${d.promoted ?? '?'}` },
        ]}
      />
    </>
  );
}
