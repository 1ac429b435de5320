import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Radio, Result, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { useCan, useSession } from '../session';
import { SecretDialog } from './SecretDialog';
import { tokenColumns } from './token-columns';
import { FormProblem, showFieldErrors } from './form-errors';
import { EnterSubmits } from './EnterSubmits';

type Token = paths['/api/tokens']['get']['responses'][200]['content']['application/json'][number];
type Role = Token['role'];

const TOKENS_KEY = ['api-tokens'] as const;
const ROLES: readonly { value: Role; help: string }[] = [
  { value: 'viewer', help: 'reads everything, changes nothing' },
  { value: 'editor', help: 'edits and simulates decisions, cuts releases' },
  { value: 'deployer', help: 'cuts releases, deploys and rolls back, manages evaluation tokens' },
  { value: 'admin', help: 'everything, including projects, environments, API tokens and the audit log' },
];

/** API tokens (admins): who may use the management API and console with which role. */
export function ApiTokens() {
  const canManage = useCan('api-token:manage');
  const session = useSession();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: async () => unwrap(await api.GET('/api/tokens')), enabled: canManage });
  const revoke = useMutation({
    mutationFn: async (token: Token) => unwrap(await api.DELETE('/api/tokens/{id}', { params: { path: { id: token.id } } })),
    onSuccess: async (token) => {
      await queryClient.invalidateQueries({ queryKey: TOKENS_KEY });
      void message.success(`Revoked ${token.name}`);
    },
    onError: (error) => void message.error(error.message),
  });

  if (!canManage) return <Result status="403" title="Only admins manage API tokens" subTitle={`You are signed in as ${session.data?.role ?? 'someone else'}.`} />;

  return (
    <section style={{ padding: 24 }}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
        <Typography.Title level={2}>API tokens</Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)}>
          New API token
        </Button>
      </div>
      {tokens.error && <Alert type="error" showIcon message={tokens.error.message} />}
      <Table
        aria-label="API tokens"
        rowKey="id"
        loading={tokens.isPending}
        dataSource={tokens.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: 'Name', dataIndex: 'name', render: (name: string, t: Token) => (t.id === session.data?.tokenId ? <>{name} <Tag>you</Tag></> : name) },
          { title: 'Role', dataIndex: 'role', render: (role: Role) => <Tag color={role === 'admin' ? 'gold' : 'blue'}>{role}</Tag> },
          ...tokenColumns<Token>(),
          {
            title: '',
            key: 'actions',
            render: (_: unknown, token: Token) =>
              token.revokedAt === null && (
                <Popconfirm
                  title={`Revoke ${token.name}?`}
                  description={token.id === session.data?.tokenId ? 'This is the token you are signed in with: you will be signed out.' : 'Scripts and people using it get 401 at once. This cannot be undone.'}
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
      {creating && <CreateApiToken onClose={() => setCreating(false)} onCreated={setSecret} />}
      {secret !== undefined && (
        <SecretDialog title="New API token" label="New API token" secret={secret} usage="Sign in to the console with it, or send it as Authorization: Bearer <token> (VERDICT_TOKEN for the CLI)." onClose={() => setSecret(undefined)} />
      )}
    </section>
  );
}

function CreateApiToken({ onClose, onCreated }: { onClose: () => void; onCreated: (secret: string) => void }) {
  const [form] = Form.useForm<{ name: string; role: Role }>();
  const queryClient = useQueryClient();
  const role = Form.useWatch('role', form);
  const create = useMutation({
    gcTime: 0, // the answer holds the secret
    mutationFn: async (body: { name: string; role: Role }) => unwrap(await api.POST('/api/tokens', { body })),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: TOKENS_KEY });
      onClose();
      onCreated(created.token);
    },
    onError: (error) => showFieldErrors(form, error, ['name', 'role']),
  });
  return (
    <Modal title="New API token" open onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending}>
      <Form form={form} layout="vertical" initialValues={{ role: 'viewer' }} onFinish={(values) => create.mutate({ name: values.name.trim(), role: values.role })}>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: 'Name the person or script' }]}>
          <Input autoFocus maxLength={200} placeholder="ci-pipeline" />
        </Form.Item>
        <Form.Item label="Role" name="role" extra={ROLES.find((r) => r.value === role)?.help}>
          <Radio.Group optionType="button" options={ROLES.map((r) => ({ value: r.value, label: r.value }))} />
        </Form.Item>
        <FormProblem error={create.error} fields={['name', 'role']} />
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
