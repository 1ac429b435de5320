import { lazy, Suspense } from 'react';
import { Alert, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import type { DecisionGraphType } from '@gorules/jdm-editor';
import { api, unwrap } from '../api/client';
import { formatTime } from './project-data';

// The editor chunk (jdm-editor, Monaco) loads only when a diff is shown.
const DiffGraph = lazy(() => import('../editor/DiffGraph'));

const EMPTY: DecisionGraphType = { nodes: [], edges: [] };

/** One saved version's content (a tombstone, a deleted decision, is an empty graph). */
function useVersion(project: string, key: string, version: number | undefined) {
  return useQuery({
    queryKey: ['decision-version', project, key, version],
    enabled: version !== undefined,
    staleTime: Infinity, // a saved version never changes
    queryFn: async () => {
      const found = unwrap(await api.GET('/api/projects/{project}/decisions/{key}/versions/{version}', { params: { path: { project, key, version: version! } } }));
      return (found.content ?? EMPTY) as DecisionGraphType;
    },
  });
}

/**
 * A decision's versions, newest first, and a visual diff of any two (`?from=3&to=5`; by default the
 * latest against the one before). Every choice is in the URL, so a diff can be linked.
 */
export function History() {
  const params = useParams();
  const project = params.project!;
  const key = params['*']!;
  const [search, setSearch] = useSearchParams();
  const versions = useQuery({
    queryKey: ['decision-versions', project, key],
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/decisions/{key}/versions', { params: { path: { project, key } } })),
  });
  const list = versions.data ?? [];
  const numberOr = (name: string, fallback: number | undefined) => {
    const n = Number(search.get(name));
    return search.has(name) && Number.isInteger(n) ? n : fallback;
  };
  const to = numberOr('to', list[0]?.version);
  const from = numberOr('from', list.find((v) => to !== undefined && v.version < to)?.version);
  const previous = useVersion(project, key, from);
  const current = useVersion(project, key, to);
  const choose = (name: 'from' | 'to', value: number) => {
    const next = new URLSearchParams(search);
    next.set(name, String(value));
    setSearch(next, { replace: true });
  };
  const options = list.map((v) => ({ value: v.version, label: `v${v.version}${v.deleted ? ' (deleted)' : ''} · ${v.author}` }));
  const base = `/projects/${encodeURIComponent(project)}`;

  return (
    <section style={{ display: 'flex', flexDirection: 'column', height: 'calc(100vh - 64px)' }}>
      <div style={{ padding: '8px 16px', borderBottom: '1px solid #e5e7eb', background: '#fff' }}>
        <Space wrap>
          <Link to={`${base}/decisions`}>{project}</Link>
          <Link to={`${base}/decisions/${key}`}>{key}</Link>
          <Typography.Text strong>History</Typography.Text>
        </Space>
      </div>
      {versions.error && <Alert type="error" showIcon message={versions.error.message} />}
      <Table
        aria-label="Versions"
        size="small"
        rowKey="version"
        loading={versions.isPending}
        dataSource={list}
        pagination={{ pageSize: 8, hideOnSinglePage: true }}
        columns={[
          { title: 'Version', dataIndex: 'version', render: (v: number, row) => <Space>v{v}{row.deleted && <Tag color="red">deleted</Tag>}</Space> },
          { title: 'Saved', dataIndex: 'createdAt', render: formatTime },
          { title: 'By', dataIndex: 'author' },
          { title: 'Message', dataIndex: 'message', ellipsis: true },
        ]}
      />
      {list.length > 1 ? (
        <div style={{ padding: '8px 16px' }}>
          <Space wrap>
            <span>Compare</span>
            <Select aria-label="From version" style={{ minWidth: 200 }} value={from} options={options} onChange={(v: number) => choose('from', v)} />
            <span>with</span>
            <Select aria-label="To version" style={{ minWidth: 200 }} value={to} options={options} onChange={(v: number) => choose('to', v)} />
          </Space>
        </div>
      ) : (
        !versions.isPending && <Typography.Paragraph style={{ padding: 16 }}>Only one version so far: nothing to compare yet.</Typography.Paragraph>
      )}
      {(previous.error ?? current.error) && <Alert type="error" showIcon message={(previous.error ?? current.error)!.message} />}
      <div style={{ flex: 1, minHeight: 0 }}>
        {previous.data && current.data && from !== undefined && to !== undefined && (
          <Suspense fallback={<Spin style={{ margin: 48 }} tip="Loading the editor" />}>
            <DiffGraph previous={previous.data} current={current.data} labels={[`v${from}`, `v${to}`]} />
          </Suspense>
        )}
      </div>
    </section>
  );
}
