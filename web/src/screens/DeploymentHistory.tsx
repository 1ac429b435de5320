import { Alert, Table, Tag, Typography } from 'antd';
import { formatTime, useDeployments, type Deployment } from './project-data';

/** Every deploy and rollback of one environment, newest first: what went live, who did it and when. */
export function DeploymentHistory({ project, env }: { project: string; env: string }) {
  const deployments = useDeployments(project, env);
  return (
    <>
      <Typography.Title level={4}>
        Deployment history
      </Typography.Title>
      {deployments.error && <Alert type="error" showIcon message={deployments.error.message} />}
      <Table
        aria-label="Deployment history"
        rowKey="id"
        size="small"
        loading={deployments.isPending}
        dataSource={deployments.data ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: 'Nothing deployed yet' }}
        style={{ marginBottom: 32 }}
        columns={[
          { title: 'When', dataIndex: 'createdAt', render: formatTime },
          {
            title: 'What',
            dataIndex: 'kind',
            render: (kind: Deployment['kind']) => (kind === 'rollback' ? <Tag color="orange">rollback</Tag> : <Tag color="blue">deploy</Tag>),
          },
          { title: 'Release', key: 'release', render: (_: unknown, d: Deployment) => <Typography.Text strong>{d.release.label}</Typography.Text> },
          { title: 'Before', key: 'previous', render: (_: unknown, d: Deployment) => d.previousRelease?.label ?? <Typography.Text type="secondary">nothing</Typography.Text> },
          { title: 'By', dataIndex: 'deployedBy' },
        ]}
      />
    </>
  );
}
