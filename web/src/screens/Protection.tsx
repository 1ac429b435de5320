import { useState } from 'react';
import { Alert, App, Button, Form, Input, InputNumber, Modal, Select, Tag } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { environmentsKey, type Environment } from './project-data';

type Protection = Environment['protection'];

/** "2 approvals (role admin)" or "none": what a deployment to the environment needs. */
export function describeProtection(p: Protection): string {
  if (p.requiredApprovals === 0) return 'none';
  const who = [p.approverRole ? `role ${p.approverRole}` : '', p.approverGroup ? `group ${p.approverGroup}` : ''].filter(Boolean).join(', ');
  return `${p.requiredApprovals} approval${p.requiredApprovals === 1 ? '' : 's'}${who ? ` (${who})` : ''}`;
}

export function ProtectionTag({ environment }: { environment: Environment }) {
  const p = environment.protection;
  return p.requiredApprovals === 0 ? <Tag>unprotected</Tag> : <Tag color="purple">{describeProtection(p)}</Tag>;
}

interface Values {
  readonly requiredApprovals: number;
  readonly approverRole: 'any' | 'admin' | 'deployer';
  readonly approverGroup?: string;
  readonly requestTtlDays: number;
}

/** Admins change what deployments to an environment need; pending requests keep the policy they were made under. */
export function EditProtection({ project, environment }: { project: string; environment: Environment }) {
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<Values>();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const p = environment.protection;
  const save = useMutation({
    mutationFn: async (v: Values) =>
      unwrap(
        await api.PATCH('/api/projects/{project}/environments/{env}', {
          params: { path: { project, env: environment.key } },
          body: {
            requiredApprovals: v.requiredApprovals,
            approverRole: v.approverRole === 'any' ? null : v.approverRole,
            approverGroup: v.approverGroup?.trim() ? v.approverGroup.trim() : null,
            requestTtlSeconds: Math.round(v.requestTtlDays * 86_400),
          },
        }),
      ),
    onSuccess: async (env) => {
      await queryClient.invalidateQueries({ queryKey: environmentsKey(project) });
      void message.success(`${env.key}: approvals ${describeProtection(env.protection)}`);
      setOpen(false);
    },
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>Protection…</Button>
      {open && (
        <Modal title={`What a deployment to ${environment.key} needs`} open onCancel={() => setOpen(false)} onOk={() => form.submit()} okText="Save" confirmLoading={save.isPending}>
          <Form
            form={form}
            layout="vertical"
            initialValues={{ requiredApprovals: p.requiredApprovals, approverRole: p.approverRole ?? 'any', approverGroup: p.approverGroup ?? '', requestTtlDays: p.requestTtlSeconds / 86_400 }}
            onFinish={(v) => save.mutate(v)}
          >
            <Form.Item label="Approvals" name="requiredApprovals" extra="From people other than the requester; 0 makes the environment unprotected.">
              <InputNumber min={0} max={10} />
            </Form.Item>
            <Form.Item label="Who may approve" name="approverRole">
              <Select
                options={[
                  { value: 'any', label: 'anyone who may deploy (admin, deployer)' },
                  { value: 'deployer', label: 'deployers (and admins)' },
                  { value: 'admin', label: 'admins only' },
                ]}
              />
            </Form.Item>
            <Form.Item label="Approver group" name="approverGroup" extra="Optional: approvers must be in this single-sign-on group.">
              <Input maxLength={200} />
            </Form.Item>
            <Form.Item label="Requests expire after (days)" name="requestTtlDays">
              <InputNumber min={1} max={90} />
            </Form.Item>
            {save.error && <Alert type="error" showIcon role="alert" message={save.error.message} />}
          </Form>
        </Modal>
      )}
    </>
  );
}
