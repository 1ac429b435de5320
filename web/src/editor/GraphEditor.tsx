import './monaco-setup';
import { useMemo } from 'react';
import { PlayCircleOutlined } from '@ant-design/icons';
import { DecisionGraph, JdmConfigProvider, type DecisionGraphType, type Simulation } from '@gorules/jdm-editor';
import '@gorules/jdm-editor/dist/style.css';
import { SimulatorContext, SimulatorPanel, type SimulatorControls } from './SimulatorPanel';

export interface GraphEditorProps {
  readonly value: DecisionGraphType;
  readonly readOnly: boolean;
  readonly onChange: (graph: DecisionGraphType) => void;
  /** The simulator panel, for roles that may simulate; its result marks the graph (trace, matched rows). */
  readonly simulator?: SimulatorControls & { readonly simulation: Simulation | undefined };
  /** A node the server refused a save for: marked in red with the message, as a failed simulation marks one. */
  readonly refused?: { readonly nodeId: string; readonly title: string; readonly message: string };
}

// jdm-editor calls renderPanel as a plain function: the element keeps the panel's hooks its own.
const renderPanel = () => <SimulatorPanel />;

/** The lazily loaded part: jdm-editor (every node type) with its self-hosted Monaco. */
export default function GraphEditor({ value, readOnly, onChange, simulator, refused }: GraphEditorProps) {
  const canSimulate = simulator !== undefined;
  // jdm-editor keeps panels in its store: a new array on every render would reset it.
  const marked = useMemo<Simulation | undefined>(
    () => (refused ? { error: { title: refused.title, message: refused.message, data: { nodeId: refused.nodeId } } } : simulator?.simulation),
    [refused, simulator?.simulation],
  );
  const panels = useMemo(() => (canSimulate ? [{ id: 'simulator', title: 'Simulator', icon: <PlayCircleOutlined />, renderPanel, hideHeader: true }] : []), [canSimulate]);
  return (
    <JdmConfigProvider>
      <SimulatorContext.Provider value={simulator}>
        <DecisionGraph value={value} disabled={readOnly} onChange={onChange} panels={panels} simulate={marked} />
      </SimulatorContext.Provider>
    </JdmConfigProvider>
  );
}
