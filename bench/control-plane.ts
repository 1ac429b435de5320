import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { connect } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { validateJdm } from '../src/control-plane/decisions/validate.js';
import { LocalPgCluster } from '../src/local-pg/index.js';
import { startBenchNode } from './node.js';
import { startTestEngine } from '../test/helpers/engine.js';
import { corpusFiles, readCorpus } from '../test/helpers/corpus.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [performance.now() - start, result];
}

/**
 * Control-plane costs on a real local Postgres (durable, as `npm start` runs it): JDM validation,
 * saving decisions one request at a time vs one batch, cutting a release, deploying.
 */
export async function benchControlPlane(): Promise<void> {
  const graphs = corpusFiles('graphs').map((f) => ({ key: f.replace(/\.json$/, ''), content: readCorpus('graphs', f) }));
  const big = readCorpus('engine-cases', '8k.json');

  console.log('\n## JDM validation (zen-engine compiles every expression, in the isolated engine host)');
  const engine = startTestEngine();
  const perGraph: number[] = [];
  for (let round = 0; round < 5; round++) for (const g of graphs) perGraph.push((await time(() => validateJdm(g.content, engine)))[0]);
  perGraph.sort((a, b) => a - b);
  const [bigMs] = await time(() => validateJdm(big, engine));
  await engine.close();
  console.log(`corpus graphs (${graphs.length} x 5): p50 ${percentile(perGraph, 50).toFixed(2)} ms, p99 ${percentile(perGraph, 99).toFixed(2)} ms`);
  console.log(`8k.json (2.8 MB table): ${bigMs.toFixed(0)} ms`);

  const root = mkdtempSync(path.join(tmpdir(), 'verdict-bench-'));
  chmodSync(root, 0o755);
  const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: true });
  try {
    await cluster.init();
    await cluster.start();
    const sql = connect(cluster.url());
    await migrate(sql);
    const logger = pino({ level: 'silent' });
    const { node, token } = await startBenchNode({ writerUrl: cluster.url() }, logger, { config: { bodyLimitBytes: 64 * 1024 * 1024 } });
    if (!token) throw new Error('bootstrap failed');
    const { url } = node;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const call = async (method: string, p: string, body: unknown) => {
      const res = await fetch(`${url}${p}`, { method, headers, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await call('POST', '/api/projects', { key: 'single' });
    await call('POST', '/api/projects', { key: 'batch' });

    console.log(`\n## Saving ${graphs.length} corpus decisions over HTTP (PostgreSQL ${cluster.port}, fsync on)`);
    const [singleMs] = await time(async () => {
      for (const g of graphs) await call('PUT', `/api/projects/single/decisions/${encodeURIComponent(g.key)}`, { content: g.content });
    });
    const [batchMs] = await time(() => call('POST', '/api/projects/batch/decisions', { decisions: graphs }));
    console.log(`one request per decision: ${singleMs.toFixed(0)} ms (${(singleMs / graphs.length).toFixed(1)} ms each)`);
    console.log(`one batch request:        ${batchMs.toFixed(0)} ms (${(batchMs / graphs.length).toFixed(1)} ms each)`);
    console.log(`batch speed-up: ${(singleMs / batchMs).toFixed(2)}x`);

    console.log('\n## Release and deployment');
    const releaseTimes: number[] = [];
    for (let i = 0; i < 10; i++) releaseTimes.push((await time(() => call('POST', '/api/projects/batch/releases', {})))[0]);
    releaseTimes.sort((a, b) => a - b);
    await call('POST', '/api/projects/batch/environments', { key: 'prod' });
    const deployTimes: number[] = [];
    for (let i = 1; i <= 10; i++) deployTimes.push((await time(() => call('POST', '/api/projects/batch/environments/prod/deployments', { release: `v${i}` })))[0]);
    deployTimes.sort((a, b) => a - b);
    console.log(`cut a release of ${graphs.length} decisions: p50 ${percentile(releaseTimes, 50).toFixed(1)} ms`);
    console.log(`deploy a release:                   p50 ${percentile(deployTimes, 50).toFixed(1)} ms`);

    await node.close();
    await sql.end();
  } finally {
    await cluster.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
