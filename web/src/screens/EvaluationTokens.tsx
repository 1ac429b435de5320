import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Space, Table, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { SecretDialog } from './SecretDialog';
import { tokenColumns } from './token-columns';
import { EnterSubmits } from './EnterSubmits';

type TokensPath = paths['/api/projects/{project}/environments/{env}/tokens'];
type Token = TokensPath['get']['responses'][200]['content']['application/json'][number];

const tokensKey = (project: string, env: string) => ['evaluation-tokens', project, env] as const;

/** An environment's evaluation tokens (X-Access-Token): create one (its secret shown once), list, revoke. */
export function EvaluationTokens({ project, env }: { project: string; env: string }) {
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const tokens = useQuery({
    queryKey: tokensKey(project, env),
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/environments/{env}/tokens', { params: { path: { project, env } } })),
  });
  const revoke = useMutation({
    mutationFn: async (token: Token) =>
      unwrap(await api.DELETE('/api/projects/{project}/environments/{env}/tokens/{id}', { params: { path: { project, env, id: token.id } } })),
    onSuccess: async (token) => {
      await queryClient.invalidateQueries({ queryKey: tokensKey(project, env) });
      void message.success(`Revoked ${token.name}: evaluations with it are refused from now on`);
    },
    onError: (error) => void message.error(error.message),
  });

  return (
    <>
      <Space align="baseline" style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4}>Evaluation tokens</Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)}>
          New evaluation token
        </Button>
      </Space>
      <Typography.Paragraph type="secondary">
        Applications send one as <Typography.Text code>X-Access-Token</Typography.Text> to evaluate the release {env} serves.
      </Typography.Paragraph>
      {tokens.error && <Alert type="error" showIcon message={tokens.error.message} />}
      <Table
        aria-label="Evaluation tokens"
        rowKey="id"
        size="small"
        loading={tokens.isPending}
        dataSource={tokens.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: 'No evaluation tokens yet' }}
        columns={[
          { title: 'Name', dataIndex: 'name' },
          ...tokenColumns<Token>(),
          {
            title: '',
            key: 'actions',
            render: (_: unknown, token: Token) =>
              token.revokedAt === null && (
                <Popconfirm
                  title={`Revoke ${token.name}?`}
                  description="Applications using it get 401 within a second. This cannot be undone."
                  okText="Revoke"
                  okButtonProps={{ danger: true }}
                  onConfirm={() => revoke.mutateAsync(token).catch(() => undefined)}
                >
                  <Button danger size="small" aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {creating && <CreateEvaluationToken project={project} env={env} onClose={() => setCreating(false)} onCreated={setSecret} />}
      {secret !== undefined && (
        <SecretDialog
          title={`Evaluation token for ${env}`}
          label="New evaluation token"
          secret={secret}
          usage={`Send it as X-Access-Token: <token> to POST /api/projects/${project}/evaluate/<decision key>.`}
          onClose={() => setSecret(undefined)}
        />
      )}
    </>
  );
}

function CreateEvaluationToken({ project, env, onClose, onCreated }: { project: string; env: string; onClose: () => void; onCreated: (secret: string) => void }) {
  const [form] = Form.useForm<{ name?: string }>();
  const queryClient = useQueryClient();
  const create = useMutation({
    // The answer holds the secret: it is not kept in the mutation cache once this dialog is gone.
    gcTime: 0,
    mutationFn: async (name: string | undefined) =>
      unwrap(await api.POST('/api/projects/{project}/environments/{env}/tokens', { params: { path: { project, env } }, body: name ? { name } : {} })),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: tokensKey(project, env) });
      onClose();
      onCreated(created.token);
    },
  });
  return (
    <Modal title={`New evaluation token for ${env}`} open onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending}>
      <Form form={form} layout="vertical" onFinish={(values) => create.mutate(values.name?.trim() || undefined)}>
        <Form.Item label="Name" name="name" extra={`Who uses it, e.g. checkout-service. Optional: "${env} token" by default`}>
          <Input autoFocus maxLength={200} />
        </Form.Item>
        {create.error && <Alert type="error" showIcon role="alert" message={create.error.message} />}
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
