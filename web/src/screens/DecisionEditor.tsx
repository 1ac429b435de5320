import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { Alert, Button, Modal, Space, Spin, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useBlocker, useParams } from 'react-router';
import type { DecisionGraphType } from '@gorules/jdm-editor';
import { api, unwrap, ProblemError, type Problem, type ProblemItem } from '../api/client';
import type { paths } from '../api/schema';
import { useCan } from '../session';
import { sameGraph } from '../graph-equality';
import { useSimulator } from './use-simulator';
import { TestCases } from './TestCases';
import { casesOf, sameCases, type TestCase } from './test-cases';

// The editor chunk (jdm-editor, Monaco, the expression engine's WebAssembly) loads only here.
const GraphEditor = lazy(() => import('../editor/GraphEditor'));

type Content = paths['/api/projects/{project}/decisions/{key}']['put']['requestBody']['content']['application/json']['content'];

/** Where a problem is, as the server names it: node, rule (1-based) and column. */
function locate(item: ProblemItem): string {
  const parts: string[] = [];
  if (item.nodeName !== undefined || item.nodeId !== undefined) parts.push(`node "${item.nodeName ?? item.nodeId}"`);
  if (item.rule !== undefined) parts.push(`rule ${item.rule}`);
  if (item.column !== undefined) parts.push(`column "${item.column}"`);
  return parts.join(', ');
}

export function DecisionEditor() {
  const params = useParams();
  const project = params.project!;
  const key = params['*']!;
  const canWrite = useCan('decision:write');
  const canSimulate = useCan('decision:simulate');
  const queryClient = useQueryClient();

  const decision = useQuery({
    queryKey: ['decision', project, key],
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/decisions/{key}', { params: { path: { project, key } } })),
  });
  const [graph, setGraph] = useState<DecisionGraphType>();
  const [version, setVersion] = useState<number>();
  const [graphDirty, setGraphDirty] = useState(false);
  // The decision's test cases, saved with it (its content's `tests`).
  const [cases, setCases] = useState<TestCase[]>([]);
  const [testsOpen, setTestsOpen] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const saved = useRef<DecisionGraphType>({ nodes: [], edges: [] });
  const simulator = useSimulator(project, key, () => saved.current);

  useEffect(() => {
    if (decision.data && version === undefined) {
      const content = (decision.data.content ?? { nodes: [], edges: [] }) as DecisionGraphType;
      saved.current = content;
      setGraph(content);
      setCases(casesOf(content));
      setVersion(decision.data.version);
    }
  }, [decision.data, version]);

  const casesDirty = !sameCases(cases, casesOf(saved.current));
  const dirty = graphDirty || casesDirty;
  // What a save sends: the editor's graph and the cases over the document's other top-level fields
  // (contentType, settings), which are kept as they are.
  const toSave = () => {
    const rest: Record<string, unknown> = { ...saved.current };
    delete rest.tests;
    return { ...rest, ...graph, ...(cases.length > 0 ? { tests: cases } : {}) };
  };

  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT('/api/projects/{project}/decisions/{key}', {
          params: { path: { project, key } },
          body: { content: toSave() as unknown as Content, ...(version === undefined ? {} : { baseVersion: version }) },
        }),
      ),
    onSuccess: (result) => {
      saved.current = toSave() as DecisionGraphType; // what was sent: the next save keeps its other fields too
      setVersion(result.version);
      setGraphDirty(false);
      setProblem(undefined);
      void queryClient.invalidateQueries({ queryKey: ['decisions', project] });
      void queryClient.invalidateQueries({ queryKey: ['decision-versions', project, key] });
    },
    onError: (error) => setProblem(error instanceof ProblemError ? error.problem : { status: 0, code: 'network', detail: error.message }),
  });

  const trySave = useCallback(() => {
    if (canWrite && graph && !save.isPending) save.mutate();
  }, [canWrite, graph, save]);

  // Ctrl/Cmd+S saves, wherever the focus is (even inside a code editor), instead of saving the page.
  const saveRef = useRef(trySave);
  saveRef.current = trySave;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, []);

  // Unsaved changes: leaving the screen asks first; closing or reloading the tab too.
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const onUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onUnload);
    return () => window.removeEventListener('beforeunload', onUnload);
  }, [dirty]);

  // The editor reports its graph on mount too; only a real difference from the saved one is a change.
  const onChange = useCallback((next: DecisionGraphType) => {
    setGraph(next);
    setGraphDirty(!sameGraph(next, saved.current));
  }, []);

  // The first problem that names a node is marked on that node in the graph (all are listed above it).
  const firstNamed = problem?.errors?.find((item) => item.nodeId !== undefined);
  const refusedNode = firstNamed ? { nodeId: firstNamed.nodeId!, title: 'The server refused this save', message: [locate(firstNamed), firstNamed.message].filter(Boolean).join(': ') } : undefined;

  if (decision.error) {
    return <Alert style={{ margin: 24 }} type="error" showIcon message={decision.error.message} />;
  }
  if (!graph) return <Spin style={{ margin: 48 }} />;

  return (
    <section style={{ display: 'flex', flexDirection: 'column', height: 'calc(100vh - 64px)' }}>
      <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '8px 16px', borderBottom: '1px solid #e5e7eb', background: '#fff' }}>
        <Space>
          <Link to={`/projects/${encodeURIComponent(project)}/decisions`}>{project}</Link>
          <Typography.Text strong>{key}</Typography.Text>
          <Tag>v{version}</Tag>
          {dirty && <Tag color="orange">Unsaved changes</Tag>}
          {!canWrite && <Tag>Read only</Tag>}
          <Link to={`/projects/${encodeURIComponent(project)}/history/${key}`}>History</Link>
          <Button size="small" onClick={() => setTestsOpen(true)}>
            Tests ({cases.length})
          </Button>
        </Space>
        {canWrite && (
          <Button type="primary" onClick={trySave} loading={save.isPending} disabled={!dirty} title="Save (Ctrl+S)">
            Save
          </Button>
        )}
      </div>
      {problem && (
        <Alert
          type="error"
          showIcon
          closable
          onClose={() => setProblem(undefined)}
          message={problem.code === 'conflict' ? 'Someone saved a newer version: reload to see it (your changes would overwrite theirs).' : 'The server refused this save'}
          description={
            problem.errors && problem.errors.length > 0 ? (
              <ul style={{ margin: 0, paddingLeft: 18 }} aria-label="Problems">
                {problem.errors.map((item, i) => (
                  <li key={i}>
                    {locate(item) && <Typography.Text strong>{locate(item)}: </Typography.Text>}
                    {item.message}
                  </li>
                ))}
              </ul>
            ) : (
              problem.detail
            )
          }
          role="alert"
        />
      )}
      <div style={{ flex: 1, minHeight: 0 }}>
        <Suspense fallback={<Spin style={{ margin: 48 }} tip="Loading the editor" />}>
          <GraphEditor value={graph} readOnly={!canWrite} onChange={onChange} {...(canSimulate ? { simulator } : {})} {...(refusedNode ? { refused: refusedNode } : {})} />
        </Suspense>
      </div>
      <TestCases
        project={project}
        decisionKey={key}
        open={testsOpen}
        onClose={() => setTestsOpen(false)}
        cases={cases}
        onChange={setCases}
        canWrite={canWrite}
        unsaved={dirty}
        savedVersion={version}
        lastSimulation={simulator.last}
      />
      <Modal
        open={blocker.state === 'blocked'}
        title="Leave without saving?"
        okText="Leave"
        okButtonProps={{ danger: true }}
        cancelText="Stay"
        onOk={() => blocker.proceed?.()}
        onCancel={() => blocker.reset?.()}
      >
        Your changes to {key} are not saved.
      </Modal>
    </section>
  );
}
