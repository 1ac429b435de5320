import { useMemo, useState } from 'react';
import { Alert, App, Button, Empty, Form, Input, Modal, Popconfirm, Space, Spin, Tree } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useCan } from '../session';
import { ProjectNav } from './ProjectNav';
import { DECISION, FOLDER, decisionPath, decisionTree, emptyGraph } from '../decision-tree';

/** A project's decisions as a folder tree (keys with `/`), with create and delete. */
export function Decisions() {
  const project = useParams().project!;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const canWrite = useCan('decision:write');
  const [selected, setSelected] = useState<string>();
  const [creating, setCreating] = useState(false);

  const decisions = useQuery({
    queryKey: ['decisions', project],
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/decisions', { params: { path: { project }, query: { includeDeleted: false } } })),
  });
  const tree = useMemo(() => decisionTree((decisions.data ?? []).map((d) => d.key)), [decisions.data]);
  const selectedKey = selected?.startsWith(DECISION) ? selected.slice(DECISION.length) : undefined;
  const folder = selected?.startsWith(FOLDER) ? selected.slice(FOLDER.length) + '/' : selectedKey?.includes('/') ? selectedKey.slice(0, selectedKey.lastIndexOf('/') + 1) : '';

  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/api/projects/{project}/decisions/{key}', { params: { path: { project, key } } })),
    onSuccess: async (_result, key) => {
      setSelected(undefined);
      await queryClient.invalidateQueries({ queryKey: ['decisions', project] });
      void message.success(`Deleted ${key}`);
    },
    onError: (error) => void message.error(error.message),
  });

  return (
    <section style={{ padding: 24 }}>
      <ProjectNav project={project} />
      <Space style={{ marginBottom: 16 }}>
        {canWrite && (
          <Button type="primary" onClick={() => setCreating(true)}>
            New decision
          </Button>
        )}
        {selectedKey !== undefined && (
          <>
            <Button onClick={() => navigate(decisionPath(project, selectedKey))}>Open {selectedKey}</Button>
            {canWrite && (
              <Popconfirm title={`Delete ${selectedKey}?`} description="Its history stays; releases that hold it keep it." okText="Delete" okButtonProps={{ danger: true }} onConfirm={() => remove.mutate(selectedKey)}>
                <Button danger loading={remove.isPending}>
                  Delete
                </Button>
              </Popconfirm>
            )}
          </>
        )}
      </Space>
      {decisions.error && <Alert type="error" showIcon message={decisions.error.message} />}
      {decisions.isPending ? (
        <Spin />
      ) : tree.length === 0 ? (
        <Empty description="No decisions yet" />
      ) : (
        <Tree.DirectoryTree
          aria-label="Decisions"
          treeData={tree}
          defaultExpandAll
          selectedKeys={selected === undefined ? [] : [selected]}
          onSelect={(keys) => setSelected(keys[0] === undefined ? undefined : String(keys[0]))}
          onDoubleClick={(_event, node) => {
            const key = String(node.key);
            if (key.startsWith(DECISION)) navigate(decisionPath(project, key.slice(DECISION.length)));
          }}
        />
      )}
      <CreateDecision project={project} open={creating} folder={folder} onClose={() => setCreating(false)} />
    </section>
  );
}

function CreateDecision({ project, open, folder, onClose }: { project: string; open: boolean; folder: string; onClose: () => void }) {
  const [form] = Form.useForm<{ key: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (key: string) =>
      unwrap(await api.PUT('/api/projects/{project}/decisions/{key}', { params: { path: { project, key } }, body: { content: emptyGraph(), baseVersion: 0, message: 'created in the console' } })),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ['decisions', project] });
      onClose();
      navigate(decisionPath(project, saved.key));
    },
  });
  return (
    <Modal title="New decision" open={open} onCancel={onClose} onOk={() => form.submit()} okText="Create" confirmLoading={create.isPending} destroyOnClose>
      <Form form={form} layout="vertical" initialValues={{ key: folder }} onFinish={(values) => create.mutate(values.key.trim())} preserve={false}>
        <Form.Item label="Key" name="key" rules={[{ required: true }]} extra="Slashes make folders: pricing/discount">
          <Input autoFocus />
        </Form.Item>
        {create.error && <Alert type="error" showIcon message={create.error.message} />}
      </Form>
    </Modal>
  );
}
