import { Button, Layout as AntLayout, Space, Spin, Tag, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { SESSION_KEY, useSession } from '../session';

const LINK = { color: '#cfd8e3' };

/** The signed-in frame: header with who is signed in and sign-out; anyone else goes to sign-in. */
export function Layout() {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  if (session.isPending) return <Spin fullscreen tip="Loading" />;
  if (!session.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }

  const can = (permission: string) => session.data?.permissions.includes(permission) ?? false;
  const signOut = async () => {
    await api.DELETE('/api/session');
    queryClient.clear();
    queryClient.setQueryData(SESSION_KEY, null);
    navigate('/sign-in', { replace: true });
  };

  return (
    <AntLayout style={{ minHeight: '100vh' }}>
      <AntLayout.Header style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', paddingInline: 20 }}>
        <Space size="large">
          <Link to="/projects" style={{ color: '#fff', fontWeight: 600, fontSize: 18 }}>
            Verdict
          </Link>
          <Link to="/projects" style={LINK}>
            Projects
          </Link>
          <Link to="/regions" style={LINK}>
            Regions
          </Link>
          {can('api-token:manage') && (
            <Link to="/tokens" style={LINK}>
              API tokens
            </Link>
          )}
          {can('audit:read') && (
            <Link to="/audit" style={LINK}>
              Audit log
            </Link>
          )}
        </Space>
        <Space>
          <Typography.Text style={{ color: '#cfd8e3' }}>{session.data.name}</Typography.Text>
          <Tag color="blue">{session.data.role}</Tag>
          <Button size="small" onClick={() => void signOut()}>
            Sign out
          </Button>
        </Space>
      </AntLayout.Header>
      <AntLayout.Content style={{ display: 'flex', flexDirection: 'column' }}>
        <Outlet />
      </AntLayout.Content>
    </AntLayout>
  );
}
