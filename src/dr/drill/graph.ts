/** The drill's decision: one expression answering `{ v: <label> }`, so a response names the release that served it. */
export const drillGraph = (v: string) => ({
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request', position: { x: 0, y: 0 } },
    { id: 'calc', type: 'expressionNode', name: 'calc', position: { x: 200, y: 0 }, content: { expressions: [{ id: 'e1', key: 'v', value: `'${v}'` }] } },
    { id: 'out', type: 'outputNode', name: 'Response', position: { x: 400, y: 0 } },
  ],
  edges: [
    { id: 'e-in', sourceId: 'in', targetId: 'calc', type: 'edge' },
    { id: 'e-out', sourceId: 'calc', targetId: 'out', type: 'edge' },
  ],
});
