import { useState } from 'react';
import { Alert, Form, Modal, Radio, Select, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { deploymentsKey, environmentsKey, formatTime, useReleases, type Environment } from './project-data';

type DeployPath = paths['/api/projects/{project}/environments/{env}/deployments']['post'];
type Wait = NonNullable<DeployPath['parameters']['query']>['wait'];
export type Deployed = { readonly result: DeployPath['responses'][201]['content']['application/json'] };

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
  return async (result: Deployed['result']) => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: environmentsKey(project) }),
      queryClient.invalidateQueries({ queryKey: deploymentsKey(project, result.environment) }),
    ]);
    onDone({ result });
    onClose();
  };
}

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
  const [form] = Form.useForm<{ release: string; wait: WaitChoice }>();
  const releases = useReleases(project);
  const after = useAfterDeploy(project, onDone, onClose);
  const deploy = useMutation({
    mutationFn: async ({ release, wait }: { release: string; wait: WaitChoice }) =>
      unwrap(
        await api.POST('/api/projects/{project}/environments/{env}/deployments', {
          params: { path: { project, env: environment.key }, query: query(wait) },
          body: { release },
        }),
      ),
    onSuccess: after,
  });
  const newest = releases.data?.[0]?.id;
  return (
    <Modal title={`Deploy to ${environment.key}`} open onCancel={onClose} onOk={() => form.submit()} okText="Deploy" confirmLoading={deploy.isPending} okButtonProps={{ disabled: !newest }}>
      {releases.data && releases.data.length === 0 && <Alert type="info" showIcon message="No releases yet: cut one on the Releases page." />}
      <Form form={form} layout="vertical" initialValues={{ wait: 'none', ...(newest ? { release: newest } : {}) }} key={newest} onFinish={(values) => deploy.mutate(values)}>
        <Form.Item label="Release" name="release" rules={[{ required: true }]}>
          <Select
            loading={releases.isPending}
            options={(releases.data ?? []).map((r) => ({ value: r.id, label: `${r.label} (${formatTime(r.createdAt)}, ${r.decisionCount} decisions)${r.id === environment.current?.releaseId ? ': deployed' : ''}` }))}
          />
        </Form.Item>
        <WaitChoiceField />
        {deploy.error && <Alert type="error" showIcon role="alert" message={deploy.error.message} />}
      </Form>
    </Modal>
  );
}

/** Roll back to the release deployed before the current one: asks first, as it changes what is served. */
export function RollbackDialog({ project, environment, onClose, onDone }: DialogProps) {
  const [form] = Form.useForm<{ wait: WaitChoice }>();
  const after = useAfterDeploy(project, onDone, onClose);
  const rollback = useMutation({
    mutationFn: async ({ wait }: { wait: WaitChoice }) =>
      unwrap(await api.POST('/api/projects/{project}/environments/{env}/rollback', { params: { path: { project, env: environment.key }, query: query(wait) }, body: {} })),
    onSuccess: after,
  });
  return (
    <Modal
      title={`Roll back ${environment.key}?`}
      open
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="Roll back"
      okButtonProps={{ danger: true }}
      confirmLoading={rollback.isPending}
    >
      <Typography.Paragraph>
        {environment.key} serves {environment.current?.releaseLabel ?? 'nothing'} now. Rolling back deploys the release it served before, at once, to every node.
      </Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ wait: 'none' }} onFinish={(values) => rollback.mutate(values)}>
        <WaitChoiceField />
        {rollback.error && <Alert type="error" showIcon role="alert" message={rollback.error.message} />}
      </Form>
    </Modal>
  );
}
