import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { connect } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { startBenchNode } from './node.js';
import { generateSigningKeys, loadPrivateKey } from '../src/control-plane/packages/signing.js';
import { signPackage } from '../src/control-plane/packages/build.js';
import { LocalPgCluster } from '../src/local-pg/index.js';
import { SYSTEM_ACTOR } from '../src/lib/actor.js';
import { corpusFiles, readCorpus } from '../test/helpers/corpus.js';
import { createPublicKey } from 'node:crypto';
import { fmt, printTable } from './lib.js';

/** Applies a signed package of `count` decisions to a second instance: time and cost per decision. */
export async function benchPackages(count = 1000): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'verdict-bench-pkg-'));
  chmodSync(root, 0o755);
  const cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: true });
  const closers: (() => Promise<void>)[] = [];
  try {
    await cluster.init();
    await cluster.start();
    const admin = connect(cluster.url(), { max: 1 });
    await admin.unsafe('CREATE DATABASE source');
    await admin.unsafe('CREATE DATABASE target');
    await admin.end();
    const keys = generateSigningKeys();
    const instance = async (database: string, trusted: boolean) => {
      const sql = connect(cluster.url(database));
      await migrate(sql);
      const logger = pino({ level: 'silent' });
      const { node, token } = await startBenchNode({ writerUrl: cluster.url(database) }, logger, {
        config: { bodyLimitBytes: 256 * 1024 * 1024, packageLimitBytes: 256 * 1024 * 1024 },
        packages: {
          instanceName: database,
          signingKey: undefined,
          trustedKeys: trusted ? new Map([[keys.keyId, createPublicKey(keys.publicKey)]]) : new Map(),
          requireSigned: trusted,
        },
      });
      const { url, services } = node;
      closers.push(async () => {
        await node.close();
        await sql.end();
      });
      return { url, token, services };
    };
    const source = await instance('source', false);
    const target = await instance('target', true);
    const call = async (base: { url: string; token: string }, method: string, p: string, body?: unknown, raw?: Buffer) => {
      const res = await fetch(`${base.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${base.token}`, 'content-type': raw ? 'application/zip' : 'application/json' },
        ...(raw ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return (res.headers.get('content-type') ?? '').includes('zip') ? Buffer.from(await res.arrayBuffer()) : res.json();
    };
    for (const s of [source, target]) await call(s, 'POST', '/api/projects', { key: 'big' });

    // count distinct decisions: corpus graphs renamed so every content hash differs.
    const files = corpusFiles('graphs');
    const decisions = Array.from({ length: count }, (_, i) => {
      const content = readCorpus('graphs', files[i % files.length]!);
      content.nodes[0].name = `input ${i}`;
      return { key: `group-${Math.floor(i / 100)}/decision-${i}`, content };
    });
    for (let i = 0; i < decisions.length; i += 250) await call(source, 'POST', '/api/projects/big/decisions', { decisions: decisions.slice(i, i + 250) });
    await source.services.releases.create(SYSTEM_ACTOR, 'big', { label: 'bench-1' });

    let t = performance.now();
    const unsigned = (await call(source, 'GET', '/api/projects/big/releases/bench-1/package')) as Buffer;
    const exportMs = performance.now() - t;
    const zip = await signPackage(unsigned, loadPrivateKey(keys.privateKey));
    t = performance.now();
    const applied = (await call(target, 'POST', '/api/projects/big/packages', undefined, zip)) as { status: string; decisions: { saved: number } };
    const applyMs = performance.now() - t;
    t = performance.now();
    const again = (await call(target, 'POST', '/api/projects/big/packages', undefined, zip)) as { status: string };
    const againMs = performance.now() - t;
    if (applied.status !== 'applied' || applied.decisions.saved !== count || again.status !== 'already-applied') throw new Error('unexpected apply result');

    console.log(`\n## Release package of ${count} decisions (${(zip.length / 1024 / 1024).toFixed(1)} MiB zip, signed; PostgreSQL fsync on)`);
    printTable([
      { step: 'export (build zip)', 'total ms': fmt(exportMs), 'per decision ms': fmt(exportMs / count, 2) },
      { step: 'apply (verify, validate, save, release)', 'total ms': fmt(applyMs), 'per decision ms': fmt(applyMs / count, 2) },
      { step: 'apply again (already applied)', 'total ms': fmt(againMs), 'per decision ms': fmt(againMs / count, 2) },
    ]);
    console.log(`target: apply under 5000 ms -> ${applyMs < 5000 ? 'met' : 'NOT met'}`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
