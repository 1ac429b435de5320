import { Alert, Button, Descriptions, Result, Space, Spin, Typography } from 'antd';
import { Link, useParams } from 'react-router';
import { useCan } from '../session';
import { ProjectNav } from './ProjectNav';
import { formatTime, useEnvironments } from './project-data';
import { useDeployControls } from './DeployControls';
import { DeploymentHistory } from './DeploymentHistory';
import { EvaluationTokens } from './EvaluationTokens';
import { EditProtection, ProtectionTag } from './Protection';
import { approvalsPath } from './approval-data';

/** One environment: what it serves, its deployment history and (deployers, admins) its evaluation tokens. */
export function EnvironmentDetail() {
  const { project, env: envKey } = useParams() as { project: string; env: string };
  const environments = useEnvironments(project);
  const canDeploy = useCan('deploy');
  const canManageTokens = useCan('evaluation-token:manage');
  const canEdit = useCan('environment:update');
  const deploys = useDeployControls(project);
  const env = environments.data?.find((e) => e.key === envKey);
  const back = <Link to={`/projects/${encodeURIComponent(project)}/environments`}>All environments</Link>;

  if (environments.isPending) return <Spin style={{ margin: 48 }} />;
  if (environments.error) return <Alert type="error" showIcon message={environments.error.message} style={{ margin: 24 }} />;
  if (!env) {
    return (
      <section style={{ padding: 24 }}>
        <ProjectNav project={project} />
        <Result status="404" title={`Project ${project} has no environment ${envKey}`} extra={back} />
      </section>
    );
  }

  return (
    <section style={{ padding: 24 }}>
      <ProjectNav project={project} />
      <Space align="baseline" style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={3} style={{ marginTop: 0 }}>
          Environment {env.key}
        </Typography.Title>
        {back}
      </Space>
      {deploys.outcome}
      <Descriptions
        size="small"
        column={4}
        style={{ marginBottom: 16 }}
        items={[
          { key: 'name', label: 'Name', children: env.name },
          { key: 'serves', label: 'Serves', children: env.current ? <Typography.Text strong>{env.current.releaseLabel}</Typography.Text> : 'nothing deployed' },
          { key: 'since', label: 'Since', children: env.current ? `${formatTime(env.current.deployedAt)} by ${env.current.deployedBy}` : '' },
          { key: 'created', label: 'Created', children: `${formatTime(env.createdAt)} by ${env.createdBy}` },
          {
            key: 'protection',
            label: 'Approvals',
            children: (
              <Space>
                <ProtectionTag environment={env} />
                {env.protection.requiredApprovals > 0 && <Link to={approvalsPath(project)}>requests</Link>}
              </Space>
            ),
          },
        ]}
      />
      {canDeploy && (
        <Space style={{ marginBottom: 16 }}>
          <Button type="primary" onClick={() => deploys.open(env, 'deploy')}>
            Deploy
          </Button>
          <Button danger disabled={!env.current} onClick={() => deploys.open(env, 'rollback')}>
            Roll back
          </Button>
          {canEdit && <EditProtection project={project} environment={env} />}
        </Space>
      )}
      <DeploymentHistory project={project} env={env.key} />
      {canManageTokens && <EvaluationTokens project={project} env={env.key} />}
      {deploys.dialogs}
    </section>
  );
}
