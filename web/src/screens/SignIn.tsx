import { useState } from 'react';
import { Alert, Button, Card, Divider, Form, Input, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { api, unwrap, ProblemError } from '../api/client';
import { SESSION_KEY } from '../session';

/** Only a path of this site: never an absolute URL someone put in the link. */
const safeNext = (next: string | null) => (next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/projects');

/**
 * Why the server sent the browser back from a single sign-on (?sso_error=<code>). Only these
 * fixed sentences are shown: nothing from the URL is put on the page.
 */
const SSO_ERRORS: Record<string, string> = {
  'no-role': 'You signed in, but none of your groups gives you a role in Verdict. Ask an administrator to add your group to VERDICT_OIDC_ROLE_MAP.',
  'invalid-state': 'The sign-in could not be matched to this browser (it took over 10 minutes, or was started in another tab). Try again.',
  'provider-refused': 'The identity provider did not sign you in.',
  'invalid-token': "The identity provider's answer failed Verdict's checks. Try again; if it persists, the server log says why.",
  'claims-too-large': 'Your account has more groups, or a longer name, than Verdict accepts.',
  unavailable: 'The identity provider cannot be reached right now. Try again later.',
};

/**
 * Two ways in. Single sign-on, when configured: a plain link to the server, which sends the
 * browser to the identity provider and back with an HttpOnly session cookie. Or an API token,
 * sent once in the Authorization header of POST /api/session and answered with an HttpOnly
 * cookie: it is never written to storage a script could read.
 */
export function SignIn() {
  const [form] = Form.useForm<{ token: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const ssoError = params.get('sso_error');
  const auth = useQuery({ queryKey: ['auth-config'], queryFn: async () => unwrap(await api.GET('/api/auth/config')), staleTime: 300_000 });
  const sso = auth.data?.sso;

  const signIn = async ({ token }: { token: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const session = unwrap(await api.POST('/api/session', { headers: { authorization: `Bearer ${token.trim()}` } }));
      form.resetFields();
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, session);
      navigate(next, { replace: true });
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
        {ssoError !== null && (
          <Alert type="error" showIcon message={SSO_ERRORS[ssoError] ?? 'Single sign-on failed. Try again.'} style={{ marginBottom: 16 }} role="alert" />
        )}
        {sso?.enabled && sso.loginUrl && (
          <>
            <Button type="primary" size="large" block href={`${sso.loginUrl}?next=${encodeURIComponent(next)}`}>
              Sign in with {sso.providerName}
            </Button>
            <Divider plain>or with an API token</Divider>
          </>
        )}
        {!sso?.enabled && (
          <Typography.Paragraph type="secondary">Sign in with an API token (vrd_api_...). `npm start` prints the admin token on its first start.</Typography.Paragraph>
        )}
        <Form form={form} layout="vertical" onFinish={signIn} requiredMark={false}>
          <Form.Item label="API token" name="token" rules={[{ required: true, message: 'Enter an API token' }]}>
            <Input.Password autoComplete="current-password" autoFocus={!sso?.enabled} />
          </Form.Item>
          {error !== undefined && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} role="alert" />}
          <Button type={sso?.enabled ? 'default' : 'primary'} htmlType="submit" loading={busy} block>
            Sign in
          </Button>
        </Form>
      </Card>
    </main>
  );
}
