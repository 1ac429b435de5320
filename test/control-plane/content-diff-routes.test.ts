import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../helpers/corpus.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('content diff API', () => {
  let server: TestServer;
  const p = '/api/projects/diffs';
  const put = (key: string, content: unknown) => server.request('PUT', `${p}/decisions/${encodeURIComponent(key)}`, { body: { content } });
  const loans = readCorpus('graphs', 'loan-approval.json');

  beforeAll(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/projects', { body: { key: 'diffs' } });
    // v1: as in the corpus; v2: a cell and an expression edited; v3: a node moved; then deleted (v4).
    expect((await put('loans', loans)).status).toBe(201);
    const v2 = structuredClone(loans);
    v2.nodes.find((n: any) => n.id === 'evaluateCreditScore').content.rules[0]['i1-1'] = '>= 760';
    v2.nodes.find((n: any) => n.id === 'calculateInterestRate').content.expressions[2].value = '5.75';
    expect((await server.request('PUT', `${p}/decisions/loans`, { body: { content: v2, message: 'stricter' } })).status).toBe(201);
    const v3 = structuredClone(v2);
    v3.nodes[0].position = { x: -100, y: -100 };
    expect((await put('loans', v3)).status).toBe(201);
    await put('gone', expressionGraph({ a: '1' }));
    await put('gone', expressionGraph({ a: '2' }));
    await server.request('DELETE', `${p}/decisions/gone`);
  });
  afterAll(() => server?.close());

  it('compares two versions of a decision, naming the rule, cell and expression', async () => {
    const res = await server.request('GET', `${p}/decisions/loans/diff?from=1&to=2`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      key: 'loans',
      from: { version: 1, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), author: 'bootstrap admin' },
      to: { version: 2, message: 'stricter' },
      diff: { identical: false, truncated: 0, limit: 1000, summary: { nodesChanged: 2, nodesMoved: 0, nodesAdded: 0 } },
    });
    expect(res.body.diff.changes).toEqual([
      {
        kind: 'node-changed',
        node: { id: 'evaluateCreditScore', name: 'creditScoreEvaluation', type: 'decisionTableNode' },
        content: true,
        omitted: 0,
        changes: [{ kind: 'rule-changed', rule: { index: 1, id: 'cs1' }, beforeIndex: 1, cells: [{ columnId: 'i1-1', column: 'Credit Score', side: 'input', before: '>= 750', after: '>= 760' }] }],
      },
      {
        kind: 'node-changed',
        node: { id: 'calculateInterestRate', name: 'interestRateCalculation', type: 'expressionNode' },
        content: true,
        omitted: 0,
        changes: [{ kind: 'expression-changed', id: 'ir3', index: 3, before: { key: 'baseRate', value: '5.5' }, after: { key: 'baseRate', value: '5.75' } }],
      },
    ]);
  });

  it('compares to the latest version by default, and a layout change is moves only', async () => {
    const latest = await server.request('GET', `${p}/decisions/loans/diff?from=1`);
    expect(latest.status).toBe(200);
    expect(latest.body.to.version).toBe(3);
    expect(latest.body.diff.summary).toMatchObject({ nodesChanged: 2, nodesMoved: 1 });
    const moved = await server.request('GET', `${p}/decisions/loans/diff?from=2&to=3`);
    expect(moved.body.diff.changes).toEqual([
      { kind: 'node-moved', node: { id: 'input', name: 'loanApplication', type: 'inputNode' }, before: loans.nodes[0].position, after: { x: -100, y: -100 } },
    ]);
    const same = await server.request('GET', `${p}/decisions/loans/diff?from=3&to=3`);
    expect(same.body.diff).toMatchObject({ identical: true, changes: [] });
    // Backwards works too: the same change, the other way round.
    const back = await server.request('GET', `${p}/decisions/loans/diff?from=2&to=1`);
    expect(back.body.diff.changes[0].changes[0].cells[0]).toMatchObject({ before: '>= 760', after: '>= 750' });
  });

  it('answers problem+json 404 for unknown decisions and versions, and deletions', async () => {
    const cases: [string, string][] = [
      [`${p}/decisions/nope/diff?from=1`, "decision 'nope' does not exist in project 'diffs'"],
      ['/api/projects/none/decisions/loans/diff?from=1', "project 'none' does not exist"],
      [`${p}/decisions/loans/diff?from=9`, "decision 'loans' has no version 9 (latest is 3)"],
      [`${p}/decisions/loans/diff?from=1&to=4`, "decision 'loans' has no version 4 (latest is 3)"],
      [`${p}/decisions/gone/diff?from=1`, "decision 'gone' was deleted (version 3); compare to an earlier version with ?to="],
      [`${p}/decisions/gone/diff?from=1&to=3`, "version 3 of decision 'gone' is a deletion; it has no content to compare"],
    ];
    for (const [path, detail] of cases) {
      const res = await server.request('GET', path);
      expect.soft(res.status, path).toBe(404);
      expect.soft(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect.soft(res.body, path).toMatchObject({ code: 'not-found', status: 404, detail });
    }
    const ok = await server.request('GET', `${p}/decisions/gone/diff?from=1&to=2`);
    expect(ok.body.diff.changes[0].changes[0]).toMatchObject({ kind: 'expression-changed', before: { value: '1' }, after: { value: '2' } });
  });

  it('serialises generic changes as computed: absent sides stay absent, null stays null', async () => {
    const v1 = { ...expressionGraph({ a: '1' }), contentType: 'application/vnd.gorules.decision', tests: [{ input: { a: 1 }, output: { a: '1' } }] };
    const v2 = { ...expressionGraph({ a: '1' }), settings: { validation: null } };
    v2.nodes[0] = { ...v2.nodes[0], content: { schema: null } };
    await put('generic', v1);
    await put('generic', v2);
    const res = await server.request('GET', `${p}/decisions/generic/diff?from=1&to=2`);
    expect(res.status).toBe(200);
    expect(res.body.diff.changes).toEqual([
      { kind: 'node-changed', node: { id: 'in', name: 'Request', type: 'inputNode' }, content: true, omitted: 0, changes: [{ kind: 'value-changed', path: '$.content', after: { schema: null } }] },
      // In stored (jsonb) member order.
      { kind: 'value-changed', path: '$.tests', before: [{ input: { a: 1 }, output: { a: '1' } }] },
      { kind: 'value-changed', path: '$.contentType', before: 'application/vnd.gorules.decision' },
      { kind: 'value-changed', path: '$.settings', after: { validation: null } },
    ]);
  });

  it('refuses bad versions with 400, after authentication', async () => {
    for (const query of ['', '?from=0', '?from=abc', '?from=1&to=-2', '?from=1.5']) {
      const res = await server.request('GET', `${p}/decisions/loans/diff${query}`);
      expect.soft(res.status, query).toBe(400);
      expect.soft(res.body, query).toMatchObject({ code: 'validation-failed' });
    }
    const anonymous = await server.request('GET', `${p}/decisions/loans/diff?from=abc`, { token: null });
    expect(anonymous.status).toBe(401);
  });

  it('lets a viewer read both diffs', async () => {
    const viewer = await server.tokenFor('viewer');
    expect((await server.request('GET', `${p}/decisions/loans/diff?from=1`, { token: viewer })).status).toBe(200);
    await server.request('POST', `${p}/releases`, { body: { label: 'viewer-a' } });
    expect((await server.request('GET', `${p}/releases/latest/diff?base=viewer-a&content=true`, { token: viewer })).status).toBe(200);
  });

  it('adds content diffs to a release diff on request, and only to changed decisions', async () => {
    await server.request('POST', '/api/projects', { body: { key: 'rel' } });
    const r = '/api/projects/rel';
    const save = (key: string, content: unknown) => server.request('PUT', `${r}/decisions/${encodeURIComponent(key)}`, { body: { content } });
    await save('pricing/calc', expressionGraph({ total: 'price * qty' }));
    await save('old', expressionGraph({ a: '1' }));
    await save('same', expressionGraph({ s: '1' }));
    await server.request('POST', `${r}/releases`, { body: { label: 'one' } });
    await save('pricing/calc', expressionGraph({ total: 'price * qty * 1.2' }));
    await server.request('DELETE', `${r}/decisions/old`);
    await save('new', expressionGraph({ b: '2' }));
    await server.request('POST', `${r}/releases`, { body: { label: 'two' } });

    const plain = await server.request('GET', `${r}/releases/two/diff?base=one`);
    expect(plain.status).toBe(200);
    expect(plain.body.changed).toEqual([expect.not.objectContaining({ content: expect.anything() })]);
    expect(plain.body).not.toHaveProperty('contentOmitted');

    const res = await server.request('GET', `${r}/releases/two/diff?base=one&content=true`);
    expect(res.status).toBe(200);
    expect(res.body.added).toEqual([expect.objectContaining({ key: 'new', version: 1 })]);
    expect(res.body.removed).toEqual([expect.objectContaining({ key: 'old', version: 1 })]);
    expect(res.body.added[0]).not.toHaveProperty('content');
    expect(res.body.unchanged).toBe(1);
    expect(res.body.contentOmitted).toBe(0);
    expect(res.body.changed).toEqual([
      expect.objectContaining({
        key: 'pricing/calc',
        baseVersion: 1,
        targetVersion: 2,
        content: expect.objectContaining({
          identical: false,
          changes: [
            {
              kind: 'node-changed',
              node: { id: 'calc', name: 'Calc', type: 'expressionNode' },
              content: true,
              omitted: 0,
              changes: [{ kind: 'expression-changed', id: 'e0', index: 1, before: { key: 'total', value: 'price * qty' }, after: { key: 'total', value: 'price * qty * 1.2' } }],
            },
          ],
        }),
      }),
    ]);
    expect((await server.request('GET', `${r}/releases/two/diff?base=nope&content=true`)).status).toBe(404);
    expect((await server.request('GET', `${r}/releases/two/diff?base=one&content=maybe`)).status).toBe(400);
  });

  it('gives content diffs to the first 100 changed decisions and counts the rest', async () => {
    await server.request('POST', '/api/projects', { body: { key: 'many' } });
    const keys = Array.from({ length: 101 }, (_, i) => `d${String(i).padStart(3, '0')}`);
    const push = (value: string) => server.request('POST', '/api/projects/many/decisions', { body: { decisions: keys.map((key) => ({ key, content: expressionGraph({ v: value }) })) } });
    expect((await push('1')).status).toBe(200);
    await server.request('POST', '/api/projects/many/releases', { body: { label: 'a' } });
    expect((await push('2')).status).toBe(200);
    await server.request('POST', '/api/projects/many/releases', { body: { label: 'b' } });
    const res = await server.request('GET', '/api/projects/many/releases/b/diff?base=a&content=true');
    expect(res.status).toBe(200);
    expect(res.body.changed).toHaveLength(101);
    expect(res.body.contentOmitted).toBe(1);
    expect(res.body.changed.filter((c: any) => c.content).map((c: any) => c.key)).toEqual(keys.slice(0, 100));
    // 5,000 listed entries shared by 100 diffs.
    expect(res.body.changed[0].content).toMatchObject({ limit: 50, summary: { nodesChanged: 1 } });
    expect(res.body.changed[100]).not.toHaveProperty('content');
  });

  it('documents both in the OpenAPI document', async () => {
    const spec = (await server.request('GET', '/openapi.json', { token: null })).body;
    const diff = spec.paths['/api/projects/{project}/decisions/{key}/diff'].get;
    expect(diff.parameters.map((x: any) => x.name)).toEqual(expect.arrayContaining(['from', 'to', 'project', 'key']));
    const body = diff.responses['200'].content['application/json'].schema;
    expect(body.required).toEqual(['key', 'from', 'to', 'diff']);
    const kinds = JSON.stringify(body.properties.diff);
    for (const kind of ['node-added', 'node-moved', 'rule-changed', 'code-changed', 'reordered', 'value-changed']) expect(kinds).toContain(`"${kind}"`);
    const release = spec.paths['/api/projects/{project}/releases/{release}/diff'].get;
    expect(release.parameters.map((x: any) => x.name)).toContain('content');
  });
});
