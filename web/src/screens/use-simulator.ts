import { useCallback, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { DecisionGraphType, Simulation } from '@gorules/jdm-editor';
import { api, unwrap, ProblemError, type Problem } from '../api/client';
import type { paths } from '../api/schema';
import { simulationError, simulationOf } from '../editor/simulation';
import type { SimulationTarget } from '../editor/SimulatorPanel';
import { useReleases } from './project-data';

type Content = NonNullable<paths['/api/projects/{project}/simulate']['post']['requestBody']['content']['application/json']['content']>;

/** The graph a saved version or a release holds: the trace's rows are marked against it. */
async function storedGraph(project: string, key: string, target: Exclude<SimulationTarget, { kind: 'draft' }>): Promise<DecisionGraphType> {
  const found =
    target.kind === 'version'
      ? unwrap(await api.GET('/api/projects/{project}/decisions/{key}/versions/{version}', { params: { path: { project, key, version: target.version } } })).content
      : unwrap(await api.GET('/api/projects/{project}/releases/{release}/decisions/{key}', { params: { path: { project, release: target.release, key } } })).content;
  return (found ?? { nodes: [], edges: [] }) as DecisionGraphType;
}

/**
 * The decision editor's simulator: the request text, and runs on the server of the draft in the
 * editor, a saved version, or the decision as a release holds it (sub-decisions resolved as there).
 */
export function useSimulator(project: string, key: string, base: () => object) {
  const [request, setRequest] = useState('{\n  \n}');
  const [simulation, setSimulation] = useState<Simulation>();
  const [problem, setProblem] = useState<Problem>();
  const [target, setTarget] = useState<SimulationTarget>({ kind: 'draft' });
  // What ran last and what it gave: a new test case starts from it.
  const [last, setLast] = useState<{ context: Record<string, unknown>; result: unknown }>();
  const versions = useQuery({
    queryKey: ['decision-versions', project, key],
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/decisions/{key}/versions', { params: { path: { project, key } } })),
  });
  const releases = useReleases(project);
  const targets: SimulationTarget[] = [
    { kind: 'draft' },
    ...(versions.data ?? []).filter((v) => !v.deleted).map((v) => ({ kind: 'version' as const, version: v.version })),
    ...(releases.data ?? []).map((r) => ({ kind: 'release' as const, release: r.label })),
  ];

  const run = useMutation({
    mutationFn: async ({ graph, context }: { graph: DecisionGraphType; context: Record<string, unknown> }) => {
      if (target.kind === 'draft') {
        // Top-level fields the editor does not know (contentType, settings) run as they are saved.
        const content = { ...base(), nodes: graph.nodes, edges: graph.edges } as unknown as Content;
        const answer = unwrap(await api.POST('/api/projects/{project}/simulate', { params: { path: { project } }, body: { context, trace: true, content } }));
        return { answer, ran: graph };
      }
      const [ran, answer] = await Promise.all([
        storedGraph(project, key, target),
        api
          .POST('/api/projects/{project}/simulate', {
            params: { path: { project } },
            body: { context, trace: true, key, ...(target.kind === 'version' ? { version: target.version } : { release: target.release }) },
          })
          .then(unwrap),
      ]);
      return { answer, ran };
    },
    onSuccess: ({ answer, ran }, { context }) => {
      setProblem(undefined);
      setLast({ context, result: answer.result });
      setSimulation(simulationOf(answer, ran));
    },
    onError: (error) => {
      const refused: Problem = error instanceof ProblemError ? error.problem : { status: 0, code: 'network', detail: error.message };
      setProblem(refused);
      setSimulation(simulationError(refused));
    },
  });

  const { mutate } = run;
  const onRun = useCallback((graph: DecisionGraphType, context: Record<string, unknown>) => mutate({ graph, context }), [mutate]);
  const onClear = useCallback(() => {
    setSimulation(undefined);
    setProblem(undefined);
  }, []);

  return { request, onRequestChange: setRequest, onRun, onClear, running: run.isPending, problem, simulation, target, targets, onTargetChange: setTarget, last };
}
