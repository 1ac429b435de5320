import { useEffect } from 'react';
import { Button, Form, Input, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { AUDIT_ACTIONS, type AuditFilters } from './audit-query';

/**
 * Filters of the audit log: each field is labelled; Enter or "Filter" applies them. Action and
 * project suggest values with a native datalist, so what is typed stays as typed (any action
 * prefix such as `deployment.*` works).
 */
export function AuditFilterForm({ filters, onApply }: { filters: AuditFilters; onApply: (filters: AuditFilters) => void }) {
  const [form] = Form.useForm<AuditFilters>();
  const projects = useQuery({ queryKey: ['projects'], queryFn: async () => unwrap(await api.GET('/api/projects')) });
  // The URL is the truth (back, forward, a shared link): the form follows it.
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(filters);
  }, [filters, form]);

  return (
    <Form form={form} layout="inline" onFinish={onApply} aria-label="Audit log filters" style={{ marginBottom: 16, rowGap: 8 }}>
      <Form.Item label="Actor" name="actor">
        <Input allowClear placeholder="token name" style={{ width: 160 }} />
      </Form.Item>
      <Form.Item label="Action" name="action">
        <Input list="audit-actions" allowClear placeholder="deployment.*" style={{ width: 200 }} />
      </Form.Item>
      <Form.Item label="Project" name="project">
        <Input list="audit-projects" allowClear style={{ width: 140 }} />
      </Form.Item>
      <Form.Item label="Target" name="target">
        <Input allowClear placeholder="decision key, environment..." style={{ width: 180 }} />
      </Form.Item>
      <Form.Item label="From" name="from">
        <Input type="date" style={{ width: 150 }} />
      </Form.Item>
      <Form.Item label="To" name="to">
        <Input type="date" style={{ width: 150 }} />
      </Form.Item>
      <datalist id="audit-actions">
        {AUDIT_ACTIONS.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
      <datalist id="audit-projects">
        {(projects.data ?? []).map((p) => (
          <option key={p.key} value={p.key} />
        ))}
      </datalist>
      <Space>
        <Button type="primary" htmlType="submit">
          Filter
        </Button>
        <Button onClick={() => onApply({})}>Clear</Button>
      </Space>
    </Form>
  );
}
