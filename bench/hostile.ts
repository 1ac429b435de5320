import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/local-pg/index.js';
import { corpusPath } from '../test/helpers/corpus.js';
import { fmt, percentile, printTable, startChild, type Child } from './lib.js';
import { ADMIN_TOKEN, api, benchCluster } from './setup.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const expressionGraph = (value: string) => ({
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request' },
    { id: 'calc', type: 'expressionNode', name: 'Calc', content: { expressions: [{ id: 'e', key: 'n', value }] } },
    { id: 'out', type: 'outputNode', name: 'Response' },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'calc' },
    { id: 'b', sourceId: 'calc', targetId: 'out' },
  ],
});

const functionGraph = (source: string) => ({
  nodes: [
    { id: 'in', type: 'inputNode', name: 'Request' },
    { id: 'fn', type: 'functionNode', name: 'Fn', content: { source } },
    { id: 'out', type: 'outputNode', name: 'Response' },
  ],
  edges: [
    { id: 'a', sourceId: 'in', targetId: 'fn' },
    { id: 'b', sourceId: 'fn', targetId: 'out' },
  ],
});

async function deploy(base: string, project: string, decisions: Record<string, unknown>): Promise<string> {
  await api(base, 'POST', '/api/projects', { key: project });
  await api(base, 'POST', `/api/projects/${project}/decisions`, { decisions: Object.entries(decisions).map(([key, content]) => ({ key, content })) });
  await api(base, 'POST', `/api/projects/${project}/releases`, {});
  await api(base, 'POST', `/api/projects/${project}/environments`, { key: 'prod' });
  await api(base, 'POST', `/api/projects/${project}/environments/prod/deployments`, { release: 'latest' });
  return (await api(base, 'POST', `/api/projects/${project}/environments/prod/tokens`, {})).token as string;
}

interface Probe {
  readonly latencies: number[];
  errors: number;
}

/** `clients` loops evaluating a healthy decision until `until` resolves; latencies in ms. */
async function probeWhile(url: string, token: string, context: unknown, clients: number, until: Promise<unknown>): Promise<Probe> {
  const probe: Probe = { latencies: [], errors: 0 };
  let done = false;
  void until.finally(() => (done = true));
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!done) {
        const started = performance.now();
        const res = await fetch(url, { method: 'POST', headers: { 'x-access-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ context }) });
        await res.arrayBuffer();
        if (res.ok) probe.latencies.push(performance.now() - started);
        else probe.errors++;
      }
    }),
  );
  probe.latencies.sort((a, b) => a - b);
  return probe;
}

/**
 * What a hostile tenant costs the others (issue 10): a healthy decision's latency while another
 * project's decisions run away, side by side in one run with the same probe on a quiet node.
 * The node runs as `verdict serve` with its defaults (1 s deadline, 500 ms slow mark).
 */
export async function benchHostile(seconds = 5): Promise<void> {
  const { cluster, remove } = await benchCluster('verdict-bench-hostile-');
  const children: Child[] = [];
  try {
    const port = await freePort();
    const node = await startChild(
      process.execPath,
      [path.join(ROOT, 'bin/verdict.js'), 'serve'],
      { DATABASE_URL: cluster.url(), PORT: String(port), LOG_LEVEL: 'error', VERDICT_ADMIN_TOKEN: ADMIN_TOKEN },
      /Verdict is listening/,
    );
    children.push(node);
    const base = `http://127.0.0.1:${port}`;
    const loan = JSON.parse(readFileSync(corpusPath('graphs', 'loan-approval.json'), 'utf8'));
    const healthyToken = await deploy(base, 'healthy', { loans: loan });
    const hostileToken = await deploy(base, 'hostile', {
      spin: expressionGraph('count(map([0..size], #), count(map([0..size], #), true) > 0)'),
      hang: functionGraph('export const handler = async () => await new Promise(() => {});'),
    });
    const healthyUrl = `${base}/api/projects/healthy/evaluate/loans`;
    const context = loan.tests?.[0]?.input ?? { creditScore: 685, annualIncome: 72000, monthlyDebt: 1800, monthlyIncome: 6000, employmentYears: 4, employmentStatus: 'full_time', loanAmount: 250000, loanTerm: 30 };
    for (let i = 0; i < 200; i++) await fetch(healthyUrl, { method: 'POST', headers: { 'x-access-token': healthyToken, 'content-type': 'application/json' }, body: JSON.stringify({ context }) });

    // Bodies are serialised once: the probe shares this process's thread, and must not pay for the attack's JSON.
    const hostile = (key: string, body: string) =>
      fetch(`${base}/api/projects/hostile/evaluate/${key}`, { method: 'POST', headers: { 'x-access-token': hostileToken, 'content-type': 'application/json' }, body }).then(async (r) => ({
        status: r.status,
        code: ((await r.json()) as { code?: string }).code ?? 'ok',
      }));
    const scenarios: { name: string; attack: () => Promise<{ status: number; code: string }[]> }[] = [
      { name: 'quiet (no attack)', attack: () => new Promise((resolve) => setTimeout(() => resolve([]), seconds * 1000)) },
      {
        name: 'runaway expression, 2 at once, repeated',
        attack: async () => {
          const answers: { status: number; code: string }[] = [];
          const end = Date.now() + seconds * 1000;
          while (Date.now() < end) answers.push(...(await Promise.all([1, 2].map(() => hostile('spin', JSON.stringify({ context: { size: 50_000 } }))))));
          return answers;
        },
      },
      {
        name: 'function that never settles, 4 at once, repeated',
        attack: async () => {
          const answers: { status: number; code: string }[] = [];
          const end = Date.now() + seconds * 1000;
          while (Date.now() < end) answers.push(...(await Promise.all([1, 2, 3, 4].map(() => hostile('hang', JSON.stringify({ context: {} }))))));
          return answers;
        },
      },
      {
        name: 'context nested 4,000 deep, 8 at once, repeated',
        attack: async () => {
          let deep: unknown = 1;
          for (let i = 0; i < 4_000; i++) deep = [deep];
          const body = JSON.stringify({ context: { size: 1, deep } });
          const answers: { status: number; code: string }[] = [];
          const end = Date.now() + seconds * 1000;
          while (Date.now() < end) answers.push(...(await Promise.all(Array.from({ length: 8 }, () => hostile('spin', body)))));
          return answers;
        },
      },
    ];
    console.log(`\n## A hostile tenant's cost to the others (${seconds} s per scenario; healthy probe: 4 clients evaluating loan-approval in another project)`);
    const rows: Record<string, string | number>[] = [];
    let quietP50 = NaN;
    for (const scenario of scenarios) {
      const attack = scenario.attack();
      const probe = await probeWhile(healthyUrl, healthyToken, context, 4, attack);
      const answers = await attack;
      const outcome = [...new Set(answers.map((a) => `${a.status} ${a.code}`))].join(', ') || '-';
      const p50 = percentile(probe.latencies, 50);
      if (Number.isNaN(quietP50)) quietP50 = p50;
      rows.push({
        scenario: scenario.name,
        'attack answers': answers.length === 0 ? '-' : `${answers.length}: ${outcome}`,
        'healthy evals': probe.latencies.length,
        'healthy errors': probe.errors,
        'p50 ms': fmt(p50, 2),
        'p99 ms': fmt(percentile(probe.latencies, 99), 1),
        'max ms': fmt(probe.latencies.at(-1) ?? NaN, 0),
        'p50 vs quiet': `${fmt(p50 / quietP50, 2)}x`,
      });
    }
    printTable(rows);
  } finally {
    for (const child of children) await child.stop();
    await remove();
  }
}
