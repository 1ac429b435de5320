import { Tag, Typography } from 'antd';
import { formatTime } from './project-data';

interface TokenRow {
  readonly prefix: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** The columns evaluation and API tokens share: never the secret, only its first characters. */
export function tokenColumns<T extends TokenRow>() {
  return [
    { title: 'Starts with', key: 'prefix', render: (_: unknown, t: T) => <Typography.Text code>{t.prefix}</Typography.Text> },
    { title: 'Created', key: 'created', render: (_: unknown, t: T) => `${formatTime(t.createdAt)} by ${t.createdBy}` },
    { title: 'Last used', key: 'used', render: (_: unknown, t: T) => (t.lastUsedAt ? formatTime(t.lastUsedAt) : <Typography.Text type="secondary">never</Typography.Text>) },
    {
      title: 'Status',
      key: 'status',
      render: (_: unknown, t: T) => (t.revokedAt ? <Tag color="red">revoked {formatTime(t.revokedAt)}</Tag> : <Tag color="green">active</Tag>),
    },
  ];
}
