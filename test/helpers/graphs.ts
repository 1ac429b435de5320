/** Small hand-made graphs for tests that need a specific shape. */

export function expressionGraph(expressions: Record<string, string>, name = 'Calc'): any {
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'Request' },
      { id: 'calc', type: 'expressionNode', name, content: { expressions: Object.entries(expressions).map(([key, value], i) => ({ id: `e${i}`, key, value })) } },
      { id: 'out', type: 'outputNode', name: 'Response' },
    ],
    edges: [
      { id: 'e-in', sourceId: 'in', targetId: 'calc' },
      { id: 'e-out', sourceId: 'calc', targetId: 'out' },
    ],
  };
}

/** A parent calling `child` as a sub-decision, answering its own marker and the child's: `{ parent, child }`. */
export function parentGraph(child: string, marker: string): any {
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'Request' },
      { id: 'sub', type: 'decisionNode', name: 'Child', content: { key: `${child}.json` } },
      {
        id: 'mark',
        type: 'expressionNode',
        name: 'Mark',
        // The sub-decision's output is this node's input, so `marker` is the child's marker.
        content: { expressions: [{ id: 'm', key: 'parent', value: `'${marker}'` }, { id: 'c', key: 'child', value: 'marker' }] },
      },
      { id: 'out', type: 'outputNode', name: 'Response' },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'sub' },
      { id: 'e2', sourceId: 'sub', targetId: 'mark' },
      { id: 'e3', sourceId: 'mark', targetId: 'out' },
    ],
  };
}

export function functionGraph(source: string, name = 'Fn'): any {
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'Request' },
      { id: 'fn', type: 'functionNode', name, content: { source } },
      { id: 'out', type: 'outputNode', name: 'Response' },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'fn' },
      { id: 'e2', sourceId: 'fn', targetId: 'out' },
    ],
  };
}

/** A decision table of `rules` rows on `a` (numbers) and `b` (strings): large ones take the engine seconds to parse. */
export function tableGraph(rules: number): any {
  return {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'Request' },
      {
        id: 't',
        type: 'decisionTableNode',
        name: 'Table',
        content: {
          hitPolicy: 'first',
          inputs: [
            { id: 'i1', name: 'A', field: 'a' },
            { id: 'i2', name: 'B', field: 'b' },
          ],
          outputs: [{ id: 'o1', name: 'R', field: 'r' }],
          rules: Array.from({ length: rules }, (_, i) => ({ _id: `r${i}`, i1: `> ${i} and < ${i + 10}`, i2: `"x${i}", "y${i}"`, o1: `${i} * 2 + a` })),
        },
      },
      { id: 'out', type: 'outputNode', name: 'Response' },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 't' },
      { id: 'e2', sourceId: 't', targetId: 'out' },
    ],
  };
}
