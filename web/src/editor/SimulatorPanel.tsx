import { createContext, useContext, useState } from 'react';
import { Alert, Button, Select, Typography } from 'antd';
import { CaretRightOutlined } from '@ant-design/icons';
import { GraphSimulator, SimulatorEditor, useDecisionGraphState, type DecisionGraphType } from '@gorules/jdm-editor';
import type { Problem } from '../api/client';
import { parseContext } from './simulation';

/** What a simulation runs: the draft in the editor, a saved version, or the decision in a release. */
export type SimulationTarget = { readonly kind: 'draft' } | { readonly kind: 'version'; readonly version: number } | { readonly kind: 'release'; readonly release: string };

const targetId = (t: SimulationTarget) => (t.kind === 'draft' ? 'draft' : t.kind === 'version' ? `version:${t.version}` : `release:${t.release}`);
const targetLabel = (t: SimulationTarget) => (t.kind === 'draft' ? 'Draft (this editor)' : t.kind === 'version' ? `Saved version v${t.version}` : `Release ${t.release}`);

/** What the decision editor hands the simulator panel (rendered deep inside jdm-editor's tree). */
export interface SimulatorControls {
  readonly target: SimulationTarget;
  readonly targets: readonly SimulationTarget[];
  readonly onTargetChange: (target: SimulationTarget) => void;
  readonly request: string;
  readonly onRequestChange: (text: string) => void;
  readonly onRun: (graph: DecisionGraphType, context: Record<string, unknown>) => void;
  readonly onClear: () => void;
  readonly running: boolean;
  readonly problem: Problem | undefined;
}

// jdm-editor calls a panel's renderPanel itself, with no props: a context carries the controls.
export const SimulatorContext = createContext<SimulatorControls | undefined>(undefined);

/** jdm-editor's simulator (node list, output, input and trace of each node) with our request side. */
export function SimulatorPanel() {
  const controls = useContext(SimulatorContext);
  if (!controls) return null;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }} aria-label="Simulator">
      {controls.problem && (
        <Alert
          type="error"
          showIcon
          banner
          role="alert"
          message={`The simulation failed${controls.problem.nodeName ? ` in node "${controls.problem.nodeName}"` : ''}`}
          description={controls.problem.detail ?? controls.problem.title}
        />
      )}
      <div style={{ flex: 1, minHeight: 0 }}>
        <GraphSimulator defaultRequest={controls.request} onChange={controls.onRequestChange} onClear={controls.onClear} loading={controls.running} leftPanel={RequestPanel} />
      </div>
    </div>
  );
}

/** The request side: what runs (draft, version, release), a JSON context checked before it is sent, and Run. */
function RequestPanel({ defaultRequest, onChange, hasInputNode, loading }: { defaultRequest?: string; onChange?: (text: string) => void; hasInputNode?: boolean; loading?: boolean }) {
  const controls = useContext(SimulatorContext);
  const [text, setText] = useState(defaultRequest ?? '');
  const [invalid, setInvalid] = useState<string>();
  // The graph as the editor holds it now, unsaved changes included: the draft is what runs.
  const graph = useDecisionGraphState((state) => state.decisionGraph);

  const run = () => {
    const parsed = parseContext(text);
    if ('error' in parsed) return setInvalid(parsed.error);
    setInvalid(undefined);
    controls?.onRun(graph, parsed.context);
  };

  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      {controls && (
        <div style={{ padding: '4px 8px' }}>
          <Select
            aria-label="Run against"
            size="small"
            style={{ width: '100%' }}
            value={targetId(controls.target)}
            options={controls.targets.map((t) => ({ value: targetId(t), label: targetLabel(t) }))}
            onChange={(id: string) => {
              const chosen = controls.targets.find((t) => targetId(t) === id);
              if (chosen) controls.onTargetChange(chosen);
            }}
          />
        </div>
      )}
      <div className="grl-dg__simulator__section__bar grl-dg__simulator__section__bar--request">
        <Typography.Text style={{ fontSize: 13 }}>Context (JSON)</Typography.Text>
        <Button size="small" type="primary" icon={<CaretRightOutlined />} loading={loading} disabled={!hasInputNode} title={hasInputNode ? undefined : 'The graph needs a request node'} onClick={run}>
          Run
        </Button>
      </div>
      {invalid && <Alert type="error" showIcon banner role="alert" message={invalid} />}
      <div className="grl-dg__simulator__section__content" style={{ flex: 1, minHeight: 0 }} data-testid="simulator-context">
        <SimulatorEditor
          value={text}
          onChange={(value) => {
            setText(value ?? '');
            onChange?.(value ?? '');
          }}
        />
      </div>
    </div>
  );
}
