import { Menu, Typography } from 'antd';
import { Link, useLocation } from 'react-router';
import { useCan } from '../session';

const SECTIONS = [
  { key: 'decisions', label: 'Decisions' },
  { key: 'releases', label: 'Releases' },
  { key: 'environments', label: 'Environments' },
  { key: 'approvals', label: 'Approvals' },
] as const;

/** A project's title and its sections; each section is its own URL, so links and reloads land there. */
export function ProjectNav({ project }: { project: string }) {
  const section = useLocation().pathname.split('/')[3];
  const base = `/projects/${encodeURIComponent(project)}`;
  const canAudit = useCan('audit:read');
  const items: { key: string; label: JSX.Element }[] = SECTIONS.map(({ key, label }) => ({ key, label: <Link to={`${base}/${key}`}>{label}</Link> }));
  if (canAudit) items.push({ key: 'audit', label: <Link to={`/audit?project=${encodeURIComponent(project)}`}>Audit log</Link> });
  return (
    <>
      <Typography.Title level={2}>{project}</Typography.Title>
      <Menu
        mode="horizontal"
        aria-label="Project sections"
        selectedKeys={section ? [section] : []}
        style={{ marginBottom: 16, background: 'transparent' }}
        items={items}
      />
    </>
  );
}
