import { useMemo, useState } from 'react';
import { Alert, Button, Result, Space, Table, Tag, Typography } from 'antd';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { useCan, useSession } from '../session';
import { formatTime } from './project-data';
import { apiQuery, csvHref, filtersFrom, searchFrom, type AuditFilters } from './audit-query';
import { AuditFilterForm } from './AuditFilterForm';

type Entry = paths['/api/audit']['get']['responses'][200]['content']['application/json']['entries'][number];

const PAGE_SIZE = 50;

/** The audit log (admins): filtered by the URL's query, paged newest first, downloadable as CSV. */
export function Audit() {
  const canRead = useCan('audit:read');
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFrom(params), [params]);
  // Cursors of the pages seen so far (page n starts before cursors[n - 1]), for these filters only:
  // back, forward or a new filter starts again at the newest page.
  const filterKey = params.toString();
  const [paging, setPaging] = useState<{ key: string; cursors: number[] }>({ key: filterKey, cursors: [] });
  const cursors = paging.key === filterKey ? paging.cursors : [];
  const setCursors = (next: number[]) => setPaging({ key: filterKey, cursors: next });
  const before = cursors.at(-1);
  const entries = useQuery({
    queryKey: ['audit', filters, before],
    queryFn: async () => unwrap(await api.GET('/api/audit', { params: { query: { ...apiQuery(filters), limit: PAGE_SIZE, ...(before === undefined ? {} : { before }) } } })),
    enabled: canRead,
    placeholderData: keepPreviousData,
  });
  const apply = (next: AuditFilters) => setParams(searchFrom(next));

  if (!canRead) return <Result status="403" title="Only admins read the audit log" subTitle={`You are signed in as ${session.data?.role ?? 'someone else'}.`} />;

  return (
    <section style={{ padding: 24 }}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
        <Typography.Title level={2}>Audit log</Typography.Title>
        <Button href={csvHref(filters)} download aria-label="Download CSV of the filtered entries">
          Download CSV
        </Button>
      </div>
      <AuditFilterForm filters={filters} onApply={apply} />
      {entries.error && <Alert type="error" showIcon role="alert" message={entries.error.message} style={{ marginBottom: 16 }} />}
      <Table
        aria-label="Audit log"
        rowKey="id"
        size="small"
        loading={entries.isFetching}
        dataSource={entries.data?.entries ?? []}
        pagination={false}
        locale={{ emptyText: 'No entries match' }}
        columns={[
          { title: 'When', dataIndex: 'at', render: formatTime, width: 190 },
          { title: 'Actor', dataIndex: 'actor' },
          { title: 'Action', dataIndex: 'action', render: (action: string) => <Tag>{action}</Tag> },
          {
            title: 'Project',
            dataIndex: 'projectKey',
            render: (key: string | null) => key && <Link to={`/projects/${encodeURIComponent(key)}/decisions`}>{key}</Link>,
          },
          { title: 'Target', dataIndex: 'target', render: (target: string, e: Entry) => <span title={e.targetType}>{target}</span> },
          { title: 'Details', dataIndex: 'details', ellipsis: true, render: (details: Entry['details']) => <Typography.Text code>{JSON.stringify(details)}</Typography.Text> },
        ]}
      />
      <nav aria-label="Audit log pages" style={{ marginTop: 16 }}>
        <Space>
          <Button disabled={cursors.length === 0} onClick={() => setCursors([])}>
            Newest
          </Button>
          <Button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </Button>
          <Button disabled={!entries.data?.nextCursor || entries.isPlaceholderData} onClick={() => setCursors([...cursors, entries.data!.nextCursor!])}>
            Older
          </Button>
          <Typography.Text type="secondary">
            Page {cursors.length + 1}, {PAGE_SIZE} entries a page. The CSV holds up to 10,000 entries of these filters.
          </Typography.Text>
        </Space>
      </nav>
    </section>
  );
}
