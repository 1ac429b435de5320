import { useCallback, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { DecisionGraphType, Simulation } from '@gorules/jdm-editor';
import { api, unwrap, ProblemError, type Problem } from '../api/client';
import type { paths } from '../api/schema';
import { simulationError, simulationOf } from '../editor/simulation';

type Content = NonNullable<paths['/api/projects/{project}/simulate']['post']['requestBody']['content']['application/json']['content']>;

/** The decision editor's simulator: the request text, and runs of the draft on the server. */
export function useSimulator(project: string, base: () => object) {
  const [request, setRequest] = useState('{\n  \n}');
  const [simulation, setSimulation] = useState<Simulation>();
  const [problem, setProblem] = useState<Problem>();

  const run = useMutation({
    mutationFn: async ({ graph, context }: { graph: DecisionGraphType; context: Record<string, unknown> }) => {
      // Top-level fields the editor does not know (contentType, settings) run as they are saved.
      const content = { ...base(), nodes: graph.nodes, edges: graph.edges } as unknown as Content;
      return unwrap(await api.POST('/api/projects/{project}/simulate', { params: { path: { project } }, body: { context, trace: true, content } }));
    },
    onSuccess: (answer, { graph }) => {
      setProblem(undefined);
      setSimulation(simulationOf(answer, graph));
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

  return { request, onRequestChange: setRequest, onRun, onClear, running: run.isPending, problem, simulation };
}
