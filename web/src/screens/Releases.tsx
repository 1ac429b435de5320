import { useState } from 'react';
import { Alert, Button, Checkbox, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { useCan } from '../session';
import { ProjectNav } from './ProjectNav';
import { formatTime, releasesKey, useReleases } from './project-data';
import { EnterSubmits } from './EnterSubmits';

type Created = paths['/api/projects/{project}/releases']['post']['responses'][201]['content']['application/json'];

/** A project's releases, newest first; roles that may cut one get "New release". */
export function Releases() {
  const project = useParams().project!;
  const releases = useReleases(project);
  const canCreate = useCan('release:create');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Created>();

  return (
    <section style={{ padding: 24 }}>
      <ProjectNav project={project} />
      <Space style={{ marginBottom: 16 }}>
        {(releases.data?.length ?? 0) > 1 && <Link to="compare">Compare releases</Link>}
        {canCreate && (
          <Button type="primary" onClick={() => setCreating(true)}>
            New release
          </Button>
        )}
      </Space>
      {created && <CreatedRelease release={created} onClose={() => setCreated(undefined)} />}
      {releases.error && <Alert type="error" showIcon message={releases.error.message} />}
      <Table
        aria-label="Releases"
        rowKey="id"
        loading={releases.isPending}
        dataSource={releases.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          { title: 'Label', dataIndex: 'label', render: (label: string) => <Typography.Text strong>{label}</Typography.Text> },
          { title: 'Created', dataIndex: 'createdAt', render: formatTime },
          { title: 'By', dataIndex: 'createdBy' },
          { title: 'Decisions', dataIndex: 'decisionCount' },
          { title: 'Notes', dataIndex: 'notes', ellipsis: true },
        ]}
      />
      <CreateRelease project={project} open={creating} onClose={() => setCreating(false)} onCreated={setCreated} />
    </section>
  );
}

/** The server's answer to a new release: what it is called and which decision versions it froze. */
function CreatedRelease({ release, onClose }: { release: Created; onClose: () => void }) {
  return (
    <Alert
      type="success"
      showIcon
      closable
      onClose={onClose}
      style={{ marginBottom: 16 }}
      role="status"
      message={`Release ${release.label} created with ${release.decisionCount} decision${release.decisionCount === 1 ? '' : 's'}`}
      description={
        <Space wrap>
          {release.decisions.map((d) => (
            <Tag key={d.key}>
              {d.key} v{d.version}
            </Tag>
          ))}
        </Space>
      }
    />
  );
}

function CreateRelease({ project, open, onClose, onCreated }: { project: string; open: boolean; onClose: () => void; onCreated: (release: Created) => void }) {
  const [form] = Form.useForm<{ label?: string; notes?: string; requireTests?: boolean }>();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async ({ label, notes, requireTests }: { label?: string; notes?: string; requireTests?: boolean }) =>
      unwrap(
        await api.POST('/api/projects/{project}/releases', {
          params: { path: { project } },
          body: { ...(label ? { label } : {}), ...(notes ? { notes } : {}), ...(requireTests ? { requireTests: true } : {}) },
        }),
      ),
    onSuccess: async (release) => {
      await queryClient.invalidateQueries({ queryKey: releasesKey(project) });
      onCreated(release);
      onClose();
    },
  });
  return (
    <Modal title="New release" open={open} onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending} destroyOnClose>
      <Typography.Paragraph type="secondary">A release freezes the latest saved version of every decision of {project}.</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={(values) => create.mutate({ label: values.label?.trim(), notes: values.notes?.trim(), requireTests: values.requireTests })} preserve={false}>
        <Form.Item label="Label" name="label" extra="Optional: v<number> by default">
          <Input placeholder="2026.11.25-1" autoFocus />
        </Form.Item>
        <Form.Item label="Notes" name="notes">
          <Input.TextArea rows={3} />
        </Form.Item>
        <Form.Item name="requireTests" valuePropName="checked" extra="Runs every decision's test cases on what the release would hold; a failing case means no release.">
          <Checkbox>Require passing tests</Checkbox>
        </Form.Item>
        {create.error && <Alert type="error" showIcon role="alert" message={create.error.message} />}
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
