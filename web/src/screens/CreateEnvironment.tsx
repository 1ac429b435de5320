import { App, Form, Input, InputNumber, Modal } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { environmentPath, environmentsKey } from './project-data';
import { FormProblem, showFieldErrors } from './form-errors';
import { EnterSubmits } from './EnterSubmits';

interface Values {
  readonly key: string;
  readonly name?: string;
  readonly requiredApprovals?: number;
}

/** A new environment of a project (admins). The server checks the key; its objections show on the field. */
export function CreateEnvironment({ project, onClose }: { project: string; onClose: () => void }) {
  const [form] = Form.useForm<Values>();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const create = useMutation({
    mutationFn: async ({ key, name, requiredApprovals }: Values) =>
      unwrap(
        await api.POST('/api/projects/{project}/environments', {
          params: { path: { project } },
          body: { key: key.trim(), ...(name?.trim() ? { name: name.trim() } : {}), requiredApprovals: requiredApprovals ?? 0 },
        }),
      ),
    onSuccess: async (environment) => {
      await queryClient.invalidateQueries({ queryKey: environmentsKey(project) });
      void message.success(`Environment ${environment.key} created`);
      onClose();
      navigate(environmentPath(project, environment.key));
    },
    onError: (error) => showFieldErrors(form, error, ['key', 'name', 'requiredApprovals']),
  });
  return (
    <Modal title="New environment" open onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending}>
      <Form form={form} layout="vertical" onFinish={(values) => create.mutate(values)} onValuesChange={() => create.error && create.reset()}>
        <Form.Item label="Key" name="key" rules={[{ required: true, message: 'Enter a key' }]} extra="Lower-case letters, digits and dashes: dev, staging, prod">
          <Input placeholder="staging" autoFocus />
        </Form.Item>
        <Form.Item label="Name" name="name" extra="Optional: the key by default">
          <Input placeholder="Staging" />
        </Form.Item>
        <Form.Item
          label="Approvals a deployment needs"
          name="requiredApprovals"
          extra="0: deploys go live at once. 1 or more: a deploy or rollback becomes a request that people other than the requester approve (use it for prod)."
        >
          <InputNumber min={0} max={10} placeholder="0" />
        </Form.Item>
        <FormProblem error={create.error} fields={['key', 'name', 'requiredApprovals']} />
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
