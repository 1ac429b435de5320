import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Table, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { useCan } from '../session';
import { EnterSubmits } from './EnterSubmits';

export function Projects() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: async () => unwrap(await api.GET('/api/projects')) });
  const canCreate = useCan('project:create');
  const [creating, setCreating] = useState(false);

  return (
    <section style={{ padding: 24 }}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
        <Typography.Title level={2}>Projects</Typography.Title>
        {canCreate && (
          <Button type="primary" onClick={() => setCreating(true)}>
            New project
          </Button>
        )}
      </div>
      {projects.error && <Alert type="error" showIcon message={projects.error.message} />}
      <Table
        rowKey="id"
        loading={projects.isPending}
        dataSource={projects.data ?? []}
        pagination={false}
        columns={[
          { title: 'Key', dataIndex: 'key', render: (key: string) => <Link to={`/projects/${encodeURIComponent(key)}/decisions`}>{key}</Link> },
          { title: 'Name', dataIndex: 'name' },
          { title: 'Created', dataIndex: 'createdAt', render: (at: string) => new Date(at).toLocaleString() },
          { title: 'By', dataIndex: 'createdBy' },
        ]}
      />
      <CreateProject open={creating} onClose={() => setCreating(false)} />
    </section>
  );
}

function CreateProject({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<{ key: string; name?: string }>();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const create = useMutation({
    mutationFn: async (body: { key: string; name?: string }) => unwrap(await api.POST('/api/projects', { body })),
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      void message.success(`Project ${project.key} created`);
      form.resetFields();
      onClose();
    },
  });
  return (
    <Modal title="New project" open={open} onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending} destroyOnClose>
      <Form form={form} layout="vertical" onFinish={(values) => create.mutate({ key: values.key, ...(values.name ? { name: values.name } : {}) })}>
        <Form.Item label="Key" name="key" rules={[{ required: true }]}>
          <Input placeholder="pricing" autoFocus />
        </Form.Item>
        <Form.Item label="Name" name="name">
          <Input />
        </Form.Item>
        {create.error && <Alert type="error" showIcon message={create.error.message} />}
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
