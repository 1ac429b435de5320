import { Alert, App, Form, Input, Modal } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { decisionPath, emptyGraph } from '../decision-tree';
import { FormProblem, showFieldErrors } from './form-errors';
import { EnterSubmits } from './EnterSubmits';

export const decisionsKey = (project: string) => ['decisions', project] as const;

export function CreateDecision({ project, open, folder, onClose }: { project: string; open: boolean; folder: string; onClose: () => void }) {
  const [form] = Form.useForm<{ key: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (key: string) =>
      unwrap(await api.PUT('/api/projects/{project}/decisions/{key}', { params: { path: { project, key } }, body: { content: emptyGraph(), baseVersion: 0, message: 'created in the console' } })),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: decisionsKey(project) });
      onClose();
      navigate(decisionPath(project, saved.key));
    },
  });
  return (
    <Modal title="New decision" open={open} onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending} destroyOnClose>
      <Form form={form} layout="vertical" initialValues={{ key: folder }} onFinish={(values) => create.mutate(values.key.trim())} preserve={false}>
        <Form.Item label="Key" name="key" rules={[{ required: true }]} extra="Slashes make folders: pricing/discount">
          <Input autoFocus />
        </Form.Item>
        {create.error && <Alert type="error" showIcon message={create.error.message} />}
        <EnterSubmits />
      </Form>
    </Modal>
  );
}

/**
 * Renames (or moves to another folder) one decision. The server does it in one transaction and
 * keeps the history with the decision; it refuses a taken key or a decision others call.
 */
export function RenameDecision({ project, from, onClose, onRenamed }: { project: string; from: string; onClose: () => void; onRenamed: (to: string) => void }) {
  const [form] = Form.useForm<{ to: string }>();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const rename = useMutation({
    mutationFn: async (to: string) => unwrap(await api.POST('/api/projects/{project}/decisions/{key}/rename', { params: { path: { project, key: from } }, body: { to } })),
    onSuccess: async (renamed) => {
      await queryClient.invalidateQueries({ queryKey: decisionsKey(project) });
      void message.success(`Renamed ${renamed.renamedFrom} to ${renamed.key}`);
      onRenamed(renamed.key);
      onClose();
    },
    onError: (error) => showFieldErrors(form, error, ['to']),
  });
  return (
    <Modal title={`Rename ${from}`} open onCancel={onClose} onOk={() => form.submit()} okText="Rename" confirmLoading={rename.isPending}>
      <Form form={form} layout="vertical" initialValues={{ to: from }} onFinish={(values) => rename.mutate(values.to.trim())} onValuesChange={() => rename.error && rename.reset()}>
        <Form.Item label="New key" name="to" rules={[{ required: true, whitespace: true, message: 'Enter the new key' }]} extra="Slashes make folders: change the folder part to move it. Its history moves with it.">
          <Input autoFocus />
        </Form.Item>
        <FormProblem error={rename.error} fields={['to']} />
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
