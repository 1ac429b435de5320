import './monaco-setup';
import { DecisionGraph, JdmConfigProvider, type DecisionGraphType } from '@gorules/jdm-editor';
import '@gorules/jdm-editor/dist/style.css';

export interface GraphEditorProps {
  readonly value: DecisionGraphType;
  readonly readOnly: boolean;
  readonly onChange: (graph: DecisionGraphType) => void;
}

/** The lazily loaded part: jdm-editor (every node type) with its self-hosted Monaco. */
export default function GraphEditor({ value, readOnly, onChange }: GraphEditorProps) {
  return (
    <JdmConfigProvider>
      <DecisionGraph value={value} disabled={readOnly} onChange={onChange} />
    </JdmConfigProvider>
  );
}
