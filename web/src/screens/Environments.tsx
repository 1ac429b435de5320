import { useState } from 'react';
import { Alert, Button, Empty, Space, Table, Typography } from 'antd';
import { Link, useParams } from 'react-router';
import { useCan } from '../session';
import { ProjectNav } from './ProjectNav';
import { environmentPath, formatTime, useEnvironments, type Environment } from './project-data';
import { useDeployControls } from './DeployControls';
import { CreateEnvironment } from './CreateEnvironment';
import { ProtectionTag } from './Protection';

/** Which release each environment serves; admins create environments, roles that may deploy get deploy and roll back. */
export function Environments() {
  const project = useParams().project!;
  const environments = useEnvironments(project);
  const canDeploy = useCan('deploy');
  const canCreate = useCan('environment:create');
  const [creating, setCreating] = useState(false);
  const deploys = useDeployControls(project);

  return (
    <section style={{ padding: 24 }}>
      <ProjectNav project={project} />
      {canCreate && (
        <Space style={{ marginBottom: 16 }}>
          <Button type="primary" onClick={() => setCreating(true)}>
            New environment
          </Button>
        </Space>
      )}
      {deploys.outcome}
      {environments.error && <Alert type="error" showIcon message={environments.error.message} />}
      <Table
        aria-label="Environments"
        rowKey="id"
        loading={environments.isPending}
        dataSource={environments.data ?? []}
        pagination={false}
        locale={{ emptyText: <Empty description={canCreate ? 'No environments yet: create one (dev, staging, prod)' : 'No environments yet (an admin creates them)'} /> }}
        columns={[
          {
            title: 'Environment',
            dataIndex: 'key',
            render: (key: string, env) => (
              <Link to={environmentPath(project, key)} title={env.name}>
                <Typography.Text strong>{key}</Typography.Text>
              </Link>
            ),
          },
          {
            title: 'Deployed release',
            key: 'current',
            render: (_: unknown, env: Environment) => (env.current ? <Typography.Text strong>{env.current.releaseLabel}</Typography.Text> : <Typography.Text type="secondary">nothing deployed</Typography.Text>),
          },
          { title: 'Since', key: 'since', render: (_: unknown, env: Environment) => (env.current ? formatTime(env.current.deployedAt) : '') },
          { title: 'By', key: 'by', render: (_: unknown, env: Environment) => env.current?.deployedBy ?? '' },
          { title: 'Protection', key: 'protection', render: (_: unknown, env: Environment) => <ProtectionTag environment={env} /> },
          ...(canDeploy
            ? [
                {
                  title: '',
                  key: 'actions',
                  render: (_: unknown, env: Environment) => (
                    <Space>
                      <Button onClick={() => deploys.open(env, 'deploy')}>Deploy</Button>
                      <Button danger disabled={!env.current} onClick={() => deploys.open(env, 'rollback')}>
                        Roll back
                      </Button>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      {deploys.dialogs}
      {creating && <CreateEnvironment project={project} onClose={() => setCreating(false)} />}
    </section>
  );
}
