import { useMemo, useState } from 'react';
import { Alert, App, Button, Empty, Popconfirm, Space, Spin, Tree } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useCan } from '../session';
import { ProjectNav } from './ProjectNav';
import { DECISION, FOLDER, decisionPath, decisionTree, folderKeys } from '../decision-tree';
import { CreateDecision, RenameDecision, decisionsKey } from './DecisionDialogs';

/** A project's decisions as a folder tree (keys with `/`), with create, rename and delete. */
export function Decisions() {
  const project = useParams().project!;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const canWrite = useCan('decision:write');
  const [selected, setSelected] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<string>();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());

  const decisions = useQuery({
    queryKey: decisionsKey(project),
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/decisions', { params: { path: { project }, query: { includeDeleted: false } } })),
  });
  const tree = useMemo(() => decisionTree((decisions.data ?? []).map((d) => d.key)), [decisions.data]);
  const selectedKey = selected?.startsWith(DECISION) ? selected.slice(DECISION.length) : undefined;
  const folder = selected?.startsWith(FOLDER) ? selected.slice(FOLDER.length) + '/' : selectedKey?.includes('/') ? selectedKey.slice(0, selectedKey.lastIndexOf('/') + 1) : '';

  const remove = useMutation({
    mutationFn: async (key: string) => unwrap(await api.DELETE('/api/projects/{project}/decisions/{key}', { params: { path: { project, key } } })),
    onSuccess: async (_result, key) => {
      setSelected(undefined);
      await queryClient.invalidateQueries({ queryKey: decisionsKey(project) });
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
            {canWrite && <Button onClick={() => setRenaming(selectedKey)}>Rename</Button>}
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
          // Folders are open unless closed by hand, so a folder a rename or create makes shows at once.
          expandedKeys={folderKeys(tree).filter((key) => !collapsed.has(key))}
          onExpand={(keys) => setCollapsed(new Set(folderKeys(tree).filter((key) => !keys.includes(key))))}
          selectedKeys={selected === undefined ? [] : [selected]}
          onSelect={(keys) => setSelected(keys[0] === undefined ? undefined : String(keys[0]))}
          onDoubleClick={(_event, node) => {
            const key = String(node.key);
            if (key.startsWith(DECISION)) navigate(decisionPath(project, key.slice(DECISION.length)));
          }}
        />
      )}
      <CreateDecision project={project} open={creating} folder={folder} onClose={() => setCreating(false)} />
      {renaming !== undefined && <RenameDecision project={project} from={renaming} onClose={() => setRenaming(undefined)} onRenamed={(to) => setSelected(DECISION + to)} />}
    </section>
  );
}
