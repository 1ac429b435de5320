import './monaco-setup';
import { useMemo } from 'react';
import { Empty, Tag, Typography } from 'antd';
import { calculateDiffGraph, DecisionGraph, JdmConfigProvider, type DecisionGraphType } from '@gorules/jdm-editor';
import '@gorules/jdm-editor/dist/style.css';

export interface DiffGraphProps {
  readonly previous: DecisionGraphType;
  readonly current: DecisionGraphType;
  /** Names the two sides in the summary, e.g. "v3" and "v5". */
  readonly labels: readonly [string, string];
}

const COLORS: Record<string, string> = { added: 'green', removed: 'red', modified: 'orange', moved: 'blue' };

type Marked = { _diff?: { status?: string } };

/**
 * Two versions of a decision as one read-only graph in the editor's own rendering: jdm-editor marks
 * nodes, edges, table rows and cells, expressions and code added, removed or modified. A list of
 * the marked nodes comes first, so the change is readable without the picture too.
 */
export default function DiffGraph({ previous, current, labels }: DiffGraphProps) {
  const value = useMemo(() => calculateDiffGraph(current, previous), [current, previous]);
  const marked = value.nodes
    .map((node) => ({ id: node.id, name: node.name ?? node.id, type: node.type ?? 'node', status: (node as Marked)._diff?.status ?? 'unchanged' }))
    .filter((node) => node.status !== 'unchanged');
  const edges = value.edges.filter((edge) => ((edge as Marked)._diff?.status ?? 'unchanged') !== 'unchanged').length;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <div style={{ padding: '8px 16px' }} aria-label={`Changes from ${labels[0]} to ${labels[1]}`} role="region">
        {marked.length === 0 && edges === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={`No change from ${labels[0]} to ${labels[1]}`} />
        ) : (
          <ul style={{ margin: 0, paddingLeft: 18 }} aria-label="Changed nodes">
            {marked.map((node) => (
              <li key={node.id}>
                <Tag color={COLORS[node.status]}>{node.status}</Tag>
                <Typography.Text strong>{node.name}</Typography.Text> <Typography.Text type="secondary">({node.type})</Typography.Text>
              </li>
            ))}
            {edges > 0 && <li>{edges} connection{edges === 1 ? '' : 's'} added or removed</li>}
          </ul>
        )}
      </div>
      <div style={{ flex: 1, minHeight: 400 }}>
        <JdmConfigProvider>
          <DecisionGraph value={value} disabled />
        </JdmConfigProvider>
      </div>
    </div>
  );
}
