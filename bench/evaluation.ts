import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/local-pg/index.js';
import { fmt, load, loadWithCpu, printTable, startChild, type Child } from './lib.js';
import { ADMIN_TOKEN, DECISIONS, api, canPin, onCore, readJson, benchCluster } from './setup.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));



async function inProcess(file: string, context: unknown, concurrency: number, seconds: number, core?: number): Promise<{ rps: number; p50: number; p99: number }> {
  const args = ['--import', 'tsx', path.join(ROOT, 'bench/zen-throughput.ts'), file, JSON.stringify(context), String(concurrency), String(seconds)];
  const [command, argv] = core === undefined ? [process.execPath, args] : onCore(core, process.execPath, args);
  const out = execFileSync(command, argv, { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { rps: number; p50: number; p99: number };
}

async function compiledInProcess(file: string, context: unknown, seconds: number, core?: number): Promise<{ rps: number; p50: number; p99: number }> {
  const args = ['--import', 'tsx', path.join(ROOT, 'bench/compiled-throughput.ts'), file, JSON.stringify(context), String(seconds)];
  const [command, argv] = core === undefined ? [process.execPath, args] : onCore(core, process.execPath, args);
  const out = execFileSync(command, argv, { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { rps: number; p50: number; p99: number };
}

/** Waits until the node has checked every decision against zen-engine, and prints what runs compiled. */
async function compileReport(base: string): Promise<void> {
  for (;;) {
    const serving = await api(base, 'GET', '/api/projects/bench/environments/prod/serving');
    const evaluators = serving.evaluators as { decision: string; evaluator: string; reasons?: string[]; checkedCases?: number }[];
    if (evaluators.length === DECISIONS.length && evaluators.every((e) => e.evaluator !== 'checking')) {
      console.log(`compile report: ${evaluators.map((e) => `${e.decision} ${e.evaluator}${e.evaluator === 'compiled' ? ` (${e.checkedCases} contexts checked)` : ` (${e.reasons?.join('; ')})`}`).join(', ')}`);
      return;
    }
    await sleep(50);
  }
}

/**
 * Evaluation throughput and latency on loopback, side by side in one run: Verdict, a bare Fastify +
 * cached ZenDecision server, and zen-engine in-process at the same concurrency. Servers share one
 * pinned core; the load generator runs on the other (when the machine has two and taskset exists).
 */
export async function benchEvaluation(seconds = 5, rounds = 3): Promise<void> {
  const connections = 32;
  const { cluster, remove } = await benchCluster('verdict-bench-eval-');
  const children: Child[] = [];
  try {
    const verdictPort = await freePort();
    const [vCmd, vArgs] = onCore(1, process.execPath, [path.join(ROOT, 'bin/verdict.js'), 'serve']);
    const verdict = await startChild(vCmd, vArgs, { DATABASE_URL: cluster.url(), PORT: String(verdictPort), LOG_LEVEL: 'warn', VERDICT_ADMIN_TOKEN: ADMIN_TOKEN }, /Verdict is listening/);
    children.push(verdict);
    // The same server with every decision on zen-engine (VERDICT_EVALUATOR=zen), for the compiled gain.
    const zenPort = await freePort();
    const zenNode = await startChild(vCmd, vArgs, { DATABASE_URL: cluster.url(), PORT: String(zenPort), LOG_LEVEL: 'warn', VERDICT_ADMIN_TOKEN: ADMIN_TOKEN, VERDICT_EVALUATOR: 'zen' }, /Verdict is listening/);
    children.push(zenNode);
    const zenBase = `http://127.0.0.1:${zenPort}`;
    const base = `http://127.0.0.1:${verdictPort}`;
    await api(base, 'POST', '/api/projects', { key: 'bench' });
    await api(base, 'POST', '/api/projects/bench/decisions', { decisions: DECISIONS.map((d) => ({ key: d.key, content: readJson(d.file) })) });
    await api(base, 'POST', '/api/projects/bench/releases', {});
    await api(base, 'POST', '/api/projects/bench/environments', { key: 'prod' });
    await api(base, 'POST', '/api/projects/bench/environments/prod/deployments', { release: 'latest' });
    const token = (await api(base, 'POST', '/api/projects/bench/environments/prod/tokens', {})).token as string;
    const evalHeaders = { 'x-access-token': token };
    for (;;) {
      const res = await fetch(`${base}/api/projects/bench/evaluate/shipping`, { method: 'POST', headers: { ...evalHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ context: DECISIONS[0]!.context }) });
      if (res.ok) break;
      await sleep(50);
    }
    await compileReport(base);

    const barePort = await freePort();
    const [bCmd, bArgs] = onCore(1, process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/bare-server.ts'), ...DECISIONS.map((d) => `${d.key}=${d.file}`)]);
    const bare = await startChild(bCmd, bArgs, { PORT: String(barePort) }, /bare server ready/);
    children.push(bare);
    if (canPin) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

    console.log(
      `\n## HTTP evaluation, ${connections} connections, ${rounds} interleaved rounds of ${seconds} s (autocannon${canPin ? '; servers on CPU 1, load generator on CPU 0' : '; not pinned'})`,
    );
    console.log('Medians over the rounds. CPU us/req is the server process\'s own CPU time per request: steadier than req/s on a shared machine.');
    const rows: Record<string, string | number>[] = [];
    const inProcessRows: Record<string, string | number>[] = [];
    const verdictRps: Record<string, number> = {};
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const d of DECISIONS) {
      const verdictUrl = `${base}/api/projects/bench/evaluate/${d.key}`;
      const bareUrl = `http://127.0.0.1:${barePort}/evaluate/${d.key}`;
      const zenUrl = `${zenBase}/api/projects/bench/evaluate/${d.key}`;
      await load({ url: verdictUrl, body: { context: d.context }, headers: evalHeaders, connections, seconds: 1 }); // warm-up
      await load({ url: zenUrl, body: { context: d.context }, headers: evalHeaders, connections, seconds: 1 });
      await load({ url: bareUrl, body: { context: d.context }, connections, seconds: 1 });
      const v: Awaited<ReturnType<typeof loadWithCpu>>[] = [];
      const vz: Awaited<ReturnType<typeof loadWithCpu>>[] = [];
      const b: Awaited<ReturnType<typeof loadWithCpu>>[] = [];
      for (let round = 0; round < rounds; round++) {
        v.push(await loadWithCpu(verdict.process.pid, { url: verdictUrl, body: { context: d.context }, headers: evalHeaders, connections, seconds }));
        vz.push(await loadWithCpu(zenNode.process.pid, { url: zenUrl, body: { context: d.context }, headers: evalHeaders, connections, seconds }));
        b.push(await loadWithCpu(bare.process.pid, { url: bareUrl, body: { context: d.context }, connections, seconds }));
      }
      const z = await inProcess(d.file, d.context, connections, seconds, canPin ? 1 : undefined);
      const c = await compiledInProcess(d.file, d.context, seconds, canPin ? 1 : undefined);
      inProcessRows.push({
        decision: d.name,
        'compiled evals/s': fmt(c.rps),
        'compiled p50 µs': fmt(c.p50 * 1000, 1),
        [`zen evals/s (${connections} in flight)`]: fmt(z.rps),
        'zen p50 µs': fmt(z.p50 * 1000),
        'compiled/zen': fmt(c.rps / z.rps, 1),
      });
      const errors = [...v, ...vz, ...b].reduce((n, r) => n + r.errors + r.non2xx, 0);
      if (errors > 0) console.log(`  (${errors} errors or non-2xx answers in the ${d.name} runs)`);
      const vRps = median(v.map((r) => r.rps));
      const bRps = median(b.map((r) => r.rps));
      verdictRps[d.key] = vRps;
      rows.push({
        decision: d.name,
        'verdict req/s': fmt(vRps),
        'p50/p99 ms': `${fmt(median(v.map((r) => r.p50)), 1)}/${fmt(median(v.map((r) => r.p99)), 1)}`,
        'bare req/s': fmt(bRps),
        'bare p50/p99': `${fmt(median(b.map((r) => r.p50)), 1)}/${fmt(median(b.map((r) => r.p99)), 1)}`,
        'in-process evals/s': fmt(z.rps),
        'verdict/bare req/s': fmt(median(v.map((r, i) => r.rps / b[i]!.rps)), 2),
        'verdict zen-only req/s': fmt(median(vz.map((r) => r.rps))),
        'compiled/zen-only req/s': fmt(median(v.map((r, i) => r.rps / vz[i]!.rps)), 2),
        'CPU us/req verdict, bare': `${fmt(median(v.map((r) => r.cpuUsPerRequest)), 0)}, ${fmt(median(b.map((r) => r.cpuUsPerRequest)), 0)}`,
        'bare/verdict CPU': fmt(median(v.map((r, i) => b[i]!.cpuUsPerRequest / r.cpuUsPerRequest)), 2),
        'verdict/in-process': fmt(vRps / z.rps, 2),
      });
    }
    printTable(rows);
    console.log(`\n## In-process: compiled JavaScript vs zen-engine (one core each, ${seconds} s)`);
    printTable(inProcessRows);

    console.log(`\n## Batching: evaluate-batch with 100 contexts per request, 8 connections, ${seconds} s`);
    const batchRows: Record<string, string | number>[] = [];
    for (const d of DECISIONS) {
      const r = await load({
        url: `${base}/api/projects/bench/evaluate-batch/${d.key}`,
        body: { contexts: Array.from({ length: 100 }, () => d.context) },
        headers: evalHeaders,
        connections: 8,
        seconds,
      });
      batchRows.push({ decision: d.name, 'contexts/s (batch)': fmt(r.rps * 100), 'req/s (single)': fmt(verdictRps[d.key]!), 'batch gain': fmt((r.rps * 100) / verdictRps[d.key]!, 2), 'batch p50 ms': fmt(r.p50, 1) });
    }
    printTable(batchRows);

    for (const c of children.splice(0)) await c.stop();
    if (canPin) execFileSync('taskset', ['-a', '-p', '-c', `0-${availableParallelism() - 1}`, String(process.pid)], { stdio: 'ignore' });

    console.log(`\n## zen-engine in-process: CPU pinning x concurrency (small table, ${Math.max(2, seconds - 2)} s each)`);
    const pinRows: Record<string, string | number>[] = [];
    const small = DECISIONS[0]!;
    for (const concurrency of [1, 16, 256]) {
      const free = await inProcess(small.file, small.context, concurrency, Math.max(2, seconds - 2));
      const pinned = canPin ? await inProcess(small.file, small.context, concurrency, Math.max(2, seconds - 2), 0) : undefined;
      pinRows.push({
        concurrency,
        'unpinned evals/s': fmt(free.rps),
        'unpinned p50 µs': fmt(free.p50 * 1000),
        'pinned evals/s': pinned ? fmt(pinned.rps) : '-',
        'pinned p50 µs': pinned ? fmt(pinned.p50 * 1000) : '-',
        'pinned/unpinned': pinned ? fmt(pinned.rps / free.rps, 2) : '-',
      });
    }
    printTable(pinRows);
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    await remove();
  }
}

/** Deploy on the primary to served on a node: client-observed, and as the node measured it. */
export async function benchPropagation(rounds = 10): Promise<void> {
  const { cluster, remove } = await benchCluster('verdict-bench-prop-', true);
  let verdict: Child | undefined;
  try {
    const port = await freePort();
    verdict = await startChild(process.execPath, [path.join(ROOT, 'bin/verdict.js'), 'serve'], { DATABASE_URL: cluster.url(), PORT: String(port), LOG_LEVEL: 'warn', VERDICT_ADMIN_TOKEN: ADMIN_TOKEN }, /Verdict is listening/);
    const base = `http://127.0.0.1:${port}`;
    const graph = (marker: string) => ({
      nodes: [
        { id: 'in', type: 'inputNode', name: 'in' },
        { id: 'x', type: 'expressionNode', name: 'x', content: { expressions: [{ id: 'e', key: 'marker', value: `'${marker}'` }] } },
        { id: 'out', type: 'outputNode', name: 'out' },
      ],
      edges: [{ id: 'a', sourceId: 'in', targetId: 'x' }, { id: 'b', sourceId: 'x', targetId: 'out' }],
    });
    await api(base, 'POST', '/api/projects', { key: 'prop' });
    for (const marker of ['a', 'b']) {
      await api(base, 'PUT', '/api/projects/prop/decisions/m', { content: graph(marker) });
      await api(base, 'POST', '/api/projects/prop/releases', {});
    }
    await api(base, 'POST', '/api/projects/prop/environments', { key: 'prod' });
    await api(base, 'POST', '/api/projects/prop/environments/prod/deployments', { release: 'v1' });
    const token = (await api(base, 'POST', '/api/projects/prop/environments/prod/tokens', {})).token as string;
    const served = async () => {
      const res = await fetch(`${base}/api/projects/prop/evaluate/m`, { method: 'POST', headers: { 'x-access-token': token, 'content-type': 'application/json' }, body: '{"context":{}}' });
      return res.ok ? ((await res.json()) as { details: { releaseLabel: string } }).details.releaseLabel : undefined;
    };
    while ((await served()) !== 'v1') await sleep(20);
    const observed: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const target = i % 2 === 0 ? 'v2' : 'v1';
      const start = performance.now();
      await api(base, 'POST', '/api/projects/prop/environments/prod/deployments', { release: target });
      const committed = performance.now();
      while ((await served()) !== target) await sleep(2);
      observed.push(performance.now() - committed);
      void start;
      await sleep(37); // de-correlate from the poll interval
    }
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const sum = Number(/verdict_propagation_delay_seconds_sum (\S+)/.exec(metrics)?.[1]);
    const count = Number(/verdict_propagation_delay_seconds_count (\S+)/.exec(metrics)?.[1]);
    observed.sort((a, b) => a - b);
    console.log(`\n## Propagation: deploy committed -> served by a node (pushed by NOTIFY; 250 ms poll as the safety net; ${rounds} deploys)`);
    printTable([
      {
        'client-observed p50 ms': fmt(observed[Math.floor(observed.length / 2)]!),
        'client-observed max ms': fmt(observed.at(-1)!),
        'node-measured mean ms': fmt((sum / count) * 1000),
      },
    ]);
  } finally {
    await verdict?.stop().catch(() => undefined);
    await remove();
  }
}
