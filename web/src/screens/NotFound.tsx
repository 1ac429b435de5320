import { Button, Result } from 'antd';
import { Link } from 'react-router';

export function NotFound() {
  return <Result status="404" title="No such page" extra={<Link to="/projects"><Button type="primary">Projects</Button></Link>} />;
}
