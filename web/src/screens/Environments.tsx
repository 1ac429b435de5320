import { useState } from 'react';
import { Alert, Button, Empty, Space, Table, Typography } from 'antd';
import { useParams } from 'react-router';
import { useCan } from '../session';
import { ProjectNav } from './ProjectNav';
import { formatTime, useEnvironments, type Environment } from './project-data';
import { DeployDialog, RollbackDialog, type Deployed } from './DeployDialogs';

/** Which release each environment serves; roles that may deploy get deploy and roll back. */
export function Environments() {
  const project = useParams().project!;
  const environments = useEnvironments(project);
  const canDeploy = useCan('deploy');
  const [deploying, setDeploying] = useState<Environment>();
  const [rollingBack, setRollingBack] = useState<Environment>();
  const [outcome, setOutcome] = useState<Deployed>();

  return (
    <section style={{ padding: 24 }}>
      <ProjectNav project={project} />
      {outcome && <DeployOutcome outcome={outcome} onClose={() => setOutcome(undefined)} />}
      {environments.error && <Alert type="error" showIcon message={environments.error.message} />}
      <Table
        aria-label="Environments"
        rowKey="id"
        loading={environments.isPending}
        dataSource={environments.data ?? []}
        pagination={false}
        locale={{ emptyText: <Empty description="No environments yet (an admin creates them: verdict env create)" /> }}
        columns={[
          { title: 'Environment', dataIndex: 'key', render: (key: string, env) => <Typography.Text strong title={env.name}>{key}</Typography.Text> },
          {
            title: 'Deployed release',
            key: 'current',
            render: (_: unknown, env: Environment) => (env.current ? <Typography.Text strong>{env.current.releaseLabel}</Typography.Text> : <Typography.Text type="secondary">nothing deployed</Typography.Text>),
          },
          { title: 'Since', key: 'since', render: (_: unknown, env: Environment) => (env.current ? formatTime(env.current.deployedAt) : '') },
          { title: 'By', key: 'by', render: (_: unknown, env: Environment) => env.current?.deployedBy ?? '' },
          ...(canDeploy
            ? [
                {
                  title: '',
                  key: 'actions',
                  render: (_: unknown, env: Environment) => (
                    <Space>
                      <Button onClick={() => setDeploying(env)}>Deploy</Button>
                      <Button danger disabled={!env.current} onClick={() => setRollingBack(env)}>
                        Roll back
                      </Button>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      {deploying && <DeployDialog project={project} environment={deploying} onClose={() => setDeploying(undefined)} onDone={setOutcome} />}
      {rollingBack && <RollbackDialog project={project} environment={rollingBack} onClose={() => setRollingBack(undefined)} onDone={setOutcome} />}
    </section>
  );
}

/** The server's answer to a deploy or rollback, including what a wait for replicas or the fleet found. */
function DeployOutcome({ outcome, onClose }: { outcome: Deployed; onClose: () => void }) {
  const { result } = outcome;
  const verb = result.kind === 'rollback' ? 'Rolled back' : 'Deployed';
  const message = result.unchanged ? `${result.release.label} was already deployed to ${result.environment}: nothing changed` : `${verb} ${result.environment} to ${result.release.label}`;
  const waited = result.wait;
  return (
    <Alert
      type={waited && !waited.satisfied ? 'warning' : 'success'}
      showIcon
      closable
      onClose={onClose}
      role="status"
      style={{ marginBottom: 16 }}
      message={message}
      description={
        waited
          ? waited.satisfied
            ? `Every ${waited.for === 'replicas' ? 'standby' : 'live node'} has it (${waited.checked} checked, ${waited.waitedMs} ms).`
            : `Still pending after ${waited.waitedMs} ms: ${waited.pending.join(', ')}. The deploy is recorded; they will catch up.`
          : result.previousRelease
            ? `Before: ${result.previousRelease.label}.`
            : undefined
      }
    />
  );
}
