import { useState } from 'react';
import { Alert, App, Button, Checkbox, Form, Input, InputNumber, Modal, Popconfirm, Radio, Result, Select, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { useCan, useSession } from '../session';
import { SecretDialog } from './SecretDialog';
import { tokenColumns } from './token-columns';
import { formatTime } from './project-data';
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
  const [rotating, setRotating] = useState<Token>();
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
          { title: 'Project', key: 'project', render: (_: unknown, t: Token) => t.project ?? <Typography.Text type="secondary">all</Typography.Text> },
          {
            title: 'Expires',
            key: 'expires',
            render: (_: unknown, t: Token) =>
              t.expiresAt === null ? (
                <Typography.Text type="secondary">never</Typography.Text>
              ) : Date.parse(t.expiresAt) <= Date.now() ? (
                <Tag color="red">expired {formatTime(t.expiresAt)}</Tag>
              ) : (
                formatTime(t.expiresAt)
              ),
          },
          ...tokenColumns<Token>(),
          {
            title: '',
            key: 'actions',
            render: (_: unknown, token: Token) =>
              token.revokedAt === null && (
                <Space>
                  <Button size="small" onClick={() => setRotating(token)} aria-label={`Rotate ${token.name}`}>
                    Rotate
                  </Button>
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
                </Space>
              ),
          },
        ]}
      />
      {creating && <CreateApiToken onClose={() => setCreating(false)} onCreated={setSecret} />}
      {rotating && <RotateApiToken token={rotating} onClose={() => setRotating(undefined)} onRotated={setSecret} />}
      {secret !== undefined && (
        <SecretDialog title="New API token" label="New API token" secret={secret} usage="Sign in to the console with it, or send it as Authorization: Bearer <token> (VERDICT_TOKEN for the CLI)." onClose={() => setSecret(undefined)} />
      )}
    </section>
  );
}

interface CreateValues {
  readonly name: string;
  readonly role: Role;
  readonly expiresInDays: number | null;
  readonly project?: string;
  readonly deployUnreviewed?: boolean;
}

function CreateApiToken({ onClose, onCreated }: { onClose: () => void; onCreated: (secret: string) => void }) {
  const [form] = Form.useForm<CreateValues>();
  const queryClient = useQueryClient();
  const role = Form.useWatch('role', form);
  const create = useMutation({
    gcTime: 0, // the answer holds the secret
    mutationFn: async (v: CreateValues) =>
      unwrap(
        await api.POST('/api/tokens', {
          body: {
            name: v.name.trim(),
            role: v.role,
            ...(v.expiresInDays ? { expiresInDays: v.expiresInDays } : {}),
            ...(v.project?.trim() ? { project: v.project.trim() } : {}),
            ...(v.deployUnreviewed ? { permissions: ['deploy-unreviewed' as const] } : {}),
          },
        }),
      ),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: TOKENS_KEY });
      onClose();
      onCreated(created.token);
    },
    onError: (error) => showFieldErrors(form, error, ['name', 'role', 'expiresInDays', 'project']),
  });
  return (
    <Modal title="New API token" open onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending}>
      <Form form={form} layout="vertical" initialValues={{ role: 'viewer', expiresInDays: 90 }} onFinish={(values) => create.mutate(values)}>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: 'Name the person or script' }]}>
          <Input autoFocus maxLength={200} placeholder="ci-pipeline" />
        </Form.Item>
        <Form.Item label="Role" name="role" extra={ROLES.find((r) => r.value === role)?.help}>
          <Radio.Group optionType="button" options={ROLES.map((r) => ({ value: r.value, label: r.value }))} />
        </Form.Item>
        <Form.Item label="Expires after (days)" name="expiresInDays" extra="Empty: never expires (rotate it instead).">
          <InputNumber min={1} max={3650} />
        </Form.Item>
        <Form.Item label="Project" name="project" extra="Optional: the token can touch this project only.">
          <Input maxLength={63} placeholder="all projects" />
        </Form.Item>
        <Form.Item name="deployUnreviewed" valuePropName="checked" extra="For a pipeline: release packages it applies deploy to protected environments without approval (the audit log records it).">
          <Checkbox>May deploy packages unreviewed</Checkbox>
        </Form.Item>
        <FormProblem error={create.error} fields={['name', 'role', 'expiresInDays', 'project']} />
        <EnterSubmits />
      </Form>
    </Modal>
  );
}

const GRACE = [
  { value: 0, label: 'at once' },
  { value: 3600, label: 'in 1 hour' },
  { value: 86_400, label: 'in 1 day' },
  { value: 7 * 86_400, label: 'in 7 days' },
];

/** A new secret for the same token; the old one may keep working for a while so a pipeline can switch. */
function RotateApiToken({ token, onClose, onRotated }: { token: Token; onClose: () => void; onRotated: (secret: string) => void }) {
  const [form] = Form.useForm<{ graceSeconds: number; expiresInDays: number | null }>();
  const queryClient = useQueryClient();
  const rotate = useMutation({
    gcTime: 0,
    mutationFn: async (v: { graceSeconds: number; expiresInDays: number | null }) =>
      unwrap(
        await api.POST('/api/tokens/{id}/rotate', {
          params: { path: { id: token.id } },
          body: { graceSeconds: v.graceSeconds, ...(v.expiresInDays ? { expiresInDays: v.expiresInDays } : {}) },
        }),
      ),
    onSuccess: async (rotated) => {
      await queryClient.invalidateQueries({ queryKey: TOKENS_KEY });
      onClose();
      onRotated(rotated.token);
    },
  });
  return (
    <Modal title={`Rotate ${token.name}`} open onCancel={onClose} onOk={() => form.submit()} okText="Rotate" confirmLoading={rotate.isPending}>
      <Typography.Paragraph>A new secret replaces the current one; the token keeps its id, role and project.</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ graceSeconds: 0, expiresInDays: null }} onFinish={(v) => rotate.mutate(v)}>
        <Form.Item label="The old secret stops working" name="graceSeconds">
          <Select options={GRACE} />
        </Form.Item>
        <Form.Item label="New expiry (days from now)" name="expiresInDays" extra="Empty: keep the current expiry.">
          <InputNumber min={1} max={3650} />
        </Form.Item>
        {rotate.error && <Alert type="error" showIcon role="alert" message={rotate.error.message} />}
      </Form>
    </Modal>
  );
}
