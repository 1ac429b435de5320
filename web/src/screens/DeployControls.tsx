import { useState, type ReactNode } from 'react';
import { Alert } from 'antd';
import { Link } from 'react-router';
import { approvalsPath } from './approval-data';
import type { Environment } from './project-data';
import { DeployDialog, RollbackDialog, type Deployed } from './DeployDialogs';

/**
 * Deploy and roll back, as the environments list and an environment's page both offer them: call
 * `open` from a button; render `outcome` where the answer should show and `dialogs` anywhere.
 */
export function useDeployControls(project: string): { open: (env: Environment, what: 'deploy' | 'rollback') => void; outcome: ReactNode; dialogs: ReactNode } {
  const [deploying, setDeploying] = useState<Environment>();
  const [rollingBack, setRollingBack] = useState<Environment>();
  const [outcome, setOutcome] = useState<Deployed>();
  return {
    open: (env, what) => (what === 'deploy' ? setDeploying(env) : setRollingBack(env)),
    outcome: outcome && <DeployOutcome project={project} outcome={outcome} onClose={() => setOutcome(undefined)} />,
    dialogs: (
      <>
        {deploying && <DeployDialog project={project} environment={deploying} onClose={() => setDeploying(undefined)} onDone={setOutcome} />}
        {rollingBack && <RollbackDialog project={project} environment={rollingBack} onClose={() => setRollingBack(undefined)} onDone={setOutcome} />}
      </>
    ),
  };
}

/** The server's answer to a deploy or rollback, including what a wait for replicas or the fleet found. */
function DeployOutcome({ project, outcome, onClose }: { project: string; outcome: Deployed; onClose: () => void }) {
  if ('request' in outcome) {
    const r = outcome.request;
    return (
      <Alert
        type="info"
        showIcon
        closable
        onClose={onClose}
        role="status"
        style={{ marginBottom: 16 }}
        message={`Deployment request ${r.id}: ${r.kind === 'rollback' ? 'roll back' : 'deploy'} ${r.environment} to ${r.release.label} waits for ${r.requiredApprovals - r.approvals} approval${r.requiredApprovals - r.approvals === 1 ? '' : 's'}`}
        description={
          <>
            Someone other than you approves it on the <Link to={approvalsPath(project)}>Approvals</Link> page; the last approval deploys it. It expires{' '}
            {new Date(r.expiresAt).toLocaleString()}.
          </>
        }
      />
    );
  }
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
