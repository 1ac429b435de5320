/**
 * Verdict's per-request HTTP overhead on the evaluation route, side by side with the bare server,
 * interleaved in one run (and, with BASELINE=<dir holding bin/ and dist/>, an older build too).
 * PROFILE=<dir>: the (current) Verdict server runs with --cpu-prof into that directory.
 * Usage: node --import tsx bench/http-overhead.ts [seconds] [rounds]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/local-pg/index.js';
import { fmt, load, loadWithCpu, printTable, startChild, type Child } from './lib.js';
import { ADMIN_TOKEN, DECISIONS, api, canPin, onCore, readJson, benchCluster } from './setup.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Kernel CPU time of a process, in ms (Linux): writing answers to sockets is most of it. */
function sysMs(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * 1000) / 100;
}
async function measure(pid: number | undefined, options: Parameters<typeof load>[0]) {
  const sys = sysMs(pid);
  const r = await loadWithCpu(pid, options);
  return { ...r, sysUsPerRequest: ((sysMs(pid) - sys) * 1000) / (r.rps * options.seconds) };
}
const only = process.env.ONLY?.split(',');
const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 3);

const { cluster, remove } = await benchCluster('verdict-overhead-');
const children: Child[] = [];
try {
  const servers: { name: string; child: Child; base: string }[] = [];
  const profile = process.env.PROFILE;
  const builds = [{ name: 'verdict', dir: ROOT, extra: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] }];
  if (process.env.BASELINE) builds.unshift({ name: 'baseline', dir: process.env.BASELINE, extra: [] });
  for (const build of builds) {
    const port = await freePort();
    const [cmd, args] = onCore(1, process.execPath, [...build.extra, path.join(build.dir, 'bin/verdict.js'), 'serve']);
    const child = await startChild(cmd, args, { DATABASE_URL: cluster.url(), PORT: String(port), LOG_LEVEL: 'warn', VERDICT_ADMIN_TOKEN: ADMIN_TOKEN }, /Verdict is listening/);
    children.push(child);
    servers.push({ name: build.name, child, base: `http://127.0.0.1:${port}` });
  }
  const first = servers[0]!.base;
  await api(first, 'POST', '/api/projects', { key: 'bench' });
  await api(first, 'POST', '/api/projects/bench/decisions', { decisions: DECISIONS.map((d) => ({ key: d.key, content: readJson(d.file) })) });
  await api(first, 'POST', '/api/projects/bench/releases', {});
  await api(first, 'POST', '/api/projects/bench/environments', { key: 'prod' });
  await api(first, 'POST', '/api/projects/bench/environments/prod/deployments', { release: 'latest' });
  const token = (await api(first, 'POST', '/api/projects/bench/environments/prod/tokens', {})).token as string;
  const headers = { 'x-access-token': token };
  for (const s of servers) {
    for (;;) {
      const serving = await api(s.base, 'GET', '/api/projects/bench/environments/prod/serving').catch(() => undefined);
      const ev = serving?.evaluators as { evaluator: string }[] | undefined;
      if (ev && ev.length === DECISIONS.length && ev.every((e) => e.evaluator === 'compiled')) break;
      await sleep(50);
    }
  }
  const barePort = await freePort();
  const [bCmd, bArgs] = onCore(1, process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}/bare`] : []), '--import', 'tsx', path.join(ROOT, 'bench/bare-server.ts'), ...DECISIONS.map((d) => `${d.key}=${d.file}`)]);
  children.push(await startChild(bCmd, bArgs, { PORT: String(barePort) }, /bare server ready/));
  const bare = children.at(-1)!;
  if (canPin) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  if (profile) {
    // Profile only: load the profiled server alone; the window (monotonic µs, as in .cpuprofile) is for the summary.
    const s = servers.at(-1)!;
    const d = DECISIONS.find((x) => !only || only.includes(x.key))!;
    for (const [name, pid, url, h] of [
      ['verdict', s.child.process.pid, `${s.base}/api/projects/bench/evaluate/${d.key}`, headers],
      ['bare', bare.process.pid, `http://127.0.0.1:${barePort}/evaluate/${d.key}`, {}],
    ] as const) {
      await load({ url, body: { context: d.context }, headers: h, connections: 32, seconds: 2 });
      const from = process.hrtime.bigint() / 1000n;
      const r = await loadWithCpu(pid, { url, body: { context: d.context }, headers: h, connections: 32, seconds: seconds * rounds });
      const to = process.hrtime.bigint() / 1000n;
      console.log(name, JSON.stringify({ window: [Number(from), Number(to)], requests: Math.round(r.rps * seconds * rounds), rps: r.rps, cpuUsPerRequest: r.cpuUsPerRequest }));
    }
  } else await compare();

  async function compare(): Promise<void> {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Record<string, string | number>[] = [];
  for (const d of DECISIONS.filter((x) => !only || only.includes(x.key))) {
    const body = { context: d.context };
    const targets = [
      ...servers.map((s) => ({ name: s.name, pid: s.child.process.pid, url: `${s.base}/api/projects/bench/evaluate/${d.key}`, headers })),
      { name: 'bare', pid: bare.process.pid, url: `http://127.0.0.1:${barePort}/evaluate/${d.key}`, headers: {} },
    ];
    for (const t of targets) await load({ url: t.url, body, headers: t.headers, connections: 32, seconds: 1 });
    const results = new Map(targets.map((t) => [t.name, [] as Awaited<ReturnType<typeof measure>>[]]));
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) results.get(t.name)!.push(await measure(t.pid, { url: t.url, body, headers: t.headers, connections: 32, seconds }));
    }
    const b = results.get('bare')!;
    for (const t of targets) {
      const v = results.get(t.name)!;
      const errors = v.reduce((n, x) => n + x.errors + x.non2xx, 0);
      rows.push({
        decision: d.name,
        server: t.name,
        'req/s': fmt(median(v.map((x) => x.rps))),
        'p50/p99 ms': `${fmt(median(v.map((x) => x.p50)), 1)}/${fmt(median(v.map((x) => x.p99)), 1)}`,
        'CPU µs/req': fmt(median(v.map((x) => x.cpuUsPerRequest)), 1),
        'of it sys': fmt(median(v.map((x) => x.sysUsPerRequest)), 1),
        'req/s vs bare': fmt(median(v.map((x, i) => x.rps / b[i]!.rps)), 2),
        'bare/this CPU': fmt(median(v.map((x, i) => b[i]!.cpuUsPerRequest / x.cpuUsPerRequest)), 2),
        errors,
      });
    }
  }
  printTable(rows);
  }
} finally {
  for (const c of children) await c.stop().catch(() => undefined);
  await remove();
}
