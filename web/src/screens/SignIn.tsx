import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { api, unwrap, ProblemError } from '../api/client';
import { SESSION_KEY } from '../session';

/**
 * The token is sent once, in the Authorization header of POST /api/session, and the server
 * answers with an HttpOnly cookie: it is never written to storage a script could read.
 */
export function SignIn() {
  const [form] = Form.useForm<{ token: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();

  const signIn = async ({ token }: { token: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const session = unwrap(await api.POST('/api/session', { headers: { authorization: `Bearer ${token.trim()}` } }));
      form.resetFields();
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, session);
      const next = params.get('next');
      // Only a path of this site: never an absolute URL someone put in the link.
      navigate(next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/projects', { replace: true });
    } catch (e) {
      setError(e instanceof ProblemError && e.problem.status === 401 ? 'This API token is unknown or has been revoked.' : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main style={{ display: 'grid', placeItems: 'center', minHeight: '100vh', background: '#f5f7fa' }}>
      <Card style={{ width: 420 }}>
        <Typography.Title level={3}>Verdict</Typography.Title>
        <Typography.Paragraph type="secondary">Sign in with an API token (vrd_api_...). `npm start` prints the admin token on its first start.</Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={signIn} requiredMark={false}>
          <Form.Item label="API token" name="token" rules={[{ required: true, message: 'Enter an API token' }]}>
            <Input.Password autoComplete="current-password" autoFocus />
          </Form.Item>
          {error !== undefined && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} role="alert" />}
          <Button type="primary" htmlType="submit" loading={busy} block>
            Sign in
          </Button>
        </Form>
      </Card>
    </main>
  );
}
