import { useState } from 'react';
import { Alert, Form, Input, Modal, Radio, Select, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { deploymentsKey, environmentsKey, formatTime, useReleases, type Environment } from './project-data';
import { requestsKey, type DeploymentRequest } from './approval-data';

type DeployPath = paths['/api/projects/{project}/environments/{env}/deployments']['post'];
type Wait = NonNullable<DeployPath['parameters']['query']>['wait'];
type DeployResult = DeployPath['responses'][201]['content']['application/json'];
type Answer = DeployResult | DeployPath['responses'][202]['content']['application/json'];
/** A deploy happened (or was there already), or a protected environment made it a request for approval. */
export type Deployed = { readonly result: DeployResult } | { readonly request: DeploymentRequest };

const WAITS = [
  { value: 'none', label: 'Do not wait', help: 'Answer as soon as the deploy is recorded.' },
  { value: 'replicas', label: 'Replicas', help: 'Answer once every standby database has replayed it.' },
  { value: 'fleet', label: 'Fleet', help: 'Answer once every live node serves it.' },
] as const;
type WaitChoice = (typeof WAITS)[number]['value'];

// How long the server may wait before answering 202 with what is still pending.
const WAIT_TIMEOUT_MS = 30_000;
const query = (wait: WaitChoice) => ({ timeout: WAIT_TIMEOUT_MS, ...(wait === 'none' ? {} : { wait: wait as Wait }) });

function useAfterDeploy(project: string, onDone: (deployed: Deployed) => void, onClose: () => void) {
  const queryClient = useQueryClient();
  return async (answer: Answer) => {
    const deployed: Deployed = 'approvalRequired' in answer ? { request: answer.request } : { result: answer };
    const env = 'request' in deployed ? deployed.request.environment : deployed.result.environment;
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: environmentsKey(project) }),
      queryClient.invalidateQueries({ queryKey: deploymentsKey(project, env) }),
      queryClient.invalidateQueries({ queryKey: requestsKey(project) }),
    ]);
    onDone(deployed);
    onClose();
  };
}

/** On a protected environment: why, for the approvers. */
function ProtectionNote({ environment }: { environment: Environment }) {
  const n = environment.protection.requiredApprovals;
  if (n === 0) return null;
  return (
    <>
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        message={`${environment.key} is protected: this becomes a request that ${n} other ${n === 1 ? 'person approves' : 'people approve'} before it goes live.`}
      />
      <Form.Item label="Comment for the approvers" name="comment">
        <Input.TextArea maxLength={2000} autoSize={{ minRows: 2, maxRows: 6 }} placeholder="What changes and why" />
      </Form.Item>
    </>
  );
}

const commentOf = (comment: string | undefined) => (comment?.trim() ? { comment: comment.trim() } : {});

function WaitChoiceField() {
  const [choice, setChoice] = useState<WaitChoice>('none');
  return (
    <Form.Item label="Wait for" name="wait" extra={WAITS.find((w) => w.value === choice)?.help}>
      <Radio.Group optionType="button" options={WAITS.map(({ value, label }) => ({ value, label }))} onChange={(e) => setChoice(e.target.value as WaitChoice)} />
    </Form.Item>
  );
}

interface DialogProps {
  readonly project: string;
  readonly environment: Environment;
  readonly onClose: () => void;
  readonly onDone: (deployed: Deployed) => void;
}

/** Deploy a release (newest first, the newest preselected) to one environment. */
export function DeployDialog({ project, environment, onClose, onDone }: DialogProps) {
  const [form] = Form.useForm<{ release: string; wait: WaitChoice; comment?: string }>();
  const releases = useReleases(project);
  const after = useAfterDeploy(project, onDone, onClose);
  const deploy = useMutation({
    mutationFn: async ({ release, wait, comment }: { release: string; wait: WaitChoice; comment?: string }) =>
      unwrap(
        await api.POST('/api/projects/{project}/environments/{env}/deployments', {
          params: { path: { project, env: environment.key }, query: query(wait) },
          body: { release, ...commentOf(comment) },
        }),
      ),
    onSuccess: after,
  });
  const newest = releases.data?.[0]?.id;
  return (
    <Modal
      title={`Deploy to ${environment.key}`}
      open
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={environment.protection.requiredApprovals > 0 ? 'Request approval' : 'Deploy'}
      confirmLoading={deploy.isPending} okButtonProps={{ disabled: !newest }}>
      {releases.data && releases.data.length === 0 && <Alert type="info" showIcon message="No releases yet: cut one on the Releases page." />}
      <Form form={form} layout="vertical" initialValues={{ wait: 'none', ...(newest ? { release: newest } : {}) }} key={newest} onFinish={(values) => deploy.mutate(values)}>
        <Form.Item label="Release" name="release" rules={[{ required: true }]}>
          <Select
            loading={releases.isPending}
            options={(releases.data ?? []).map((r) => ({ value: r.id, label: `${r.label} (${formatTime(r.createdAt)}, ${r.decisionCount} decisions)${r.id === environment.current?.releaseId ? ': deployed' : ''}` }))}
          />
        </Form.Item>
        <ProtectionNote environment={environment} />
        <WaitChoiceField />
        {deploy.error && <Alert type="error" showIcon role="alert" message={deploy.error.message} />}
      </Form>
    </Modal>
  );
}

/** Roll back to the release deployed before the current one: asks first, as it changes what is served. */
export function RollbackDialog({ project, environment, onClose, onDone }: DialogProps) {
  const [form] = Form.useForm<{ wait: WaitChoice; comment?: string }>();
  const after = useAfterDeploy(project, onDone, onClose);
  const rollback = useMutation({
    mutationFn: async ({ wait, comment }: { wait: WaitChoice; comment?: string }) =>
      unwrap(
        await api.POST('/api/projects/{project}/environments/{env}/rollback', {
          params: { path: { project, env: environment.key }, query: query(wait) },
          body: commentOf(comment),
        }),
      ),
    onSuccess: after,
  });
  return (
    <Modal
      title={`Roll back ${environment.key}?`}
      open
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={environment.protection.requiredApprovals > 0 ? 'Request approval' : 'Roll back'}
      okButtonProps={{ danger: true }}
      confirmLoading={rollback.isPending}
    >
      <Typography.Paragraph>
        {environment.key} serves {environment.current?.releaseLabel ?? 'nothing'} now. Rolling back deploys the release it served before
        {environment.protection.requiredApprovals > 0 ? ', once approved,' : ', at once,'} to every node.
      </Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ wait: 'none' }} onFinish={(values) => rollback.mutate(values)}>
        <ProtectionNote environment={environment} />
        <WaitChoiceField />
        {rollback.error && <Alert type="error" showIcon role="alert" message={rollback.error.message} />}
      </Form>
    </Modal>
  );
}
