import { lazy, Suspense } from 'react';
import { Alert, Empty, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import type { DecisionGraphType } from '@gorules/jdm-editor';
import { api, unwrap } from '../api/client';
import { ProjectNav } from './ProjectNav';
import { useReleases } from './project-data';

const DiffGraph = lazy(() => import('../editor/DiffGraph'));

const EMPTY: DecisionGraphType = { nodes: [], edges: [] };

/** A decision as a release froze it; absent from that release, an empty graph (all added or removed). */
function useReleased(project: string, release: string | undefined, key: string | undefined, present: boolean) {
  return useQuery({
    queryKey: ['released-decision', project, release, key],
    enabled: release !== undefined && key !== undefined,
    staleTime: Infinity, // releases are immutable
    queryFn: async () => {
      if (!present) return EMPTY;
      const found = unwrap(await api.GET('/api/projects/{project}/releases/{release}/decisions/{key}', { params: { path: { project, release: release!, key: key! } } }));
      return found.content as DecisionGraphType;
    },
  });
}

type Row = { key: string; change: 'added' | 'removed' | 'changed'; versions: string };

/**
 * Two releases side by side (`?base=v1&target=v2`): decisions added, removed and changed, and for
 * the one chosen (`&decision=key`) a visual diff in the editor's rendering.
 */
export function ReleaseCompare() {
  const project = useParams().project!;
  const [search, setSearch] = useSearchParams();
  const releases = useReleases(project);
  const list = releases.data ?? [];
  const target = search.get('target') ?? list[0]?.label;
  const base = search.get('base') ?? list.find((r) => r.label !== target)?.label;
  const decision = search.get('decision') ?? undefined;
  const diff = useQuery({
    queryKey: ['release-diff', project, base, target],
    enabled: base !== undefined && target !== undefined,
    staleTime: Infinity,
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/releases/{release}/diff', { params: { path: { project, release: target! }, query: { base: base!, content: false } } })),
  });
  const rows: Row[] = diff.data
    ? [
        ...diff.data.changed.map((d) => ({ key: d.key, change: 'changed' as const, versions: `v${d.baseVersion} → v${d.targetVersion}` })),
        ...diff.data.added.map((d) => ({ key: d.key, change: 'added' as const, versions: `v${d.version}` })),
        ...diff.data.removed.map((d) => ({ key: d.key, change: 'removed' as const, versions: `v${d.version}` })),
      ]
    : [];
  const chosen = rows.find((r) => r.key === decision);
  const previous = useReleased(project, base, chosen?.key, chosen?.change !== 'added');
  const current = useReleased(project, target, chosen?.key, chosen?.change !== 'removed');
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    next.set(name, value);
    if (name !== 'decision') next.delete('decision');
    setSearch(next, { replace: true });
  };
  const options = list.map((r) => ({ value: r.label, label: r.label }));

  return (
    <section style={{ padding: 24, display: 'flex', flexDirection: 'column', minHeight: 'calc(100vh - 64px)' }}>
      <ProjectNav project={project} />
      {releases.error && <Alert type="error" showIcon message={releases.error.message} />}
      {list.length < 2 && !releases.isPending ? (
        <Empty description="Two releases are needed to compare" />
      ) : (
        <Space wrap style={{ marginBottom: 16 }}>
          <span>Compare</span>
          <Select aria-label="Base release" style={{ minWidth: 160 }} value={base} options={options} onChange={(v: string) => set('base', v)} />
          <span>with</span>
          <Select aria-label="Target release" style={{ minWidth: 160 }} value={target} options={options} onChange={(v: string) => set('target', v)} />
        </Space>
      )}
      {diff.error && <Alert type="error" showIcon message={diff.error.message} />}
      {diff.data && (
        <>
          <Typography.Paragraph>
            {rows.length === 0 ? 'The two releases hold the same decisions.' : `${rows.length} decision${rows.length === 1 ? '' : 's'} differ`}; {diff.data.unchanged} unchanged.
          </Typography.Paragraph>
          <Table<Row>
            aria-label="Decisions that differ"
            size="small"
            rowKey="key"
            dataSource={rows}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            rowClassName={(row) => (row.key === decision ? 'ant-table-row-selected' : '')}
            columns={[
              {
                title: 'Decision',
                dataIndex: 'key',
                render: (key: string) => (
                  <Link to={`?${new URLSearchParams({ base: base!, target: target!, decision: key }).toString()}`} replace>
                    {key}
                  </Link>
                ),
              },
              { title: 'Change', dataIndex: 'change', render: (change: Row['change']) => <Tag color={{ added: 'green', removed: 'red', changed: 'orange' }[change]}>{change}</Tag> },
              { title: 'Versions', dataIndex: 'versions' },
            ]}
          />
        </>
      )}
      {(previous.error ?? current.error) && <Alert type="error" showIcon message={(previous.error ?? current.error)!.message} />}
      {chosen && previous.data && current.data && (
        <div style={{ flex: 1, minHeight: 520, marginTop: 16, border: '1px solid #e5e7eb' }}>
          <Suspense fallback={<Spin style={{ margin: 48 }} tip="Loading the editor" />}>
            <DiffGraph previous={previous.data} current={current.data} labels={[`${chosen.key} in ${base}`, `in ${target}`]} />
          </Suspense>
        </div>
      )}
    </section>
  );
}
