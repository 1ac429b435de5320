import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connect } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { LocalPgCluster } from '../src/local-pg/index.js';
import { killLeftovers } from './helpers/leftovers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export const TEMPLATE_DB = 'verdict_template';

/**
 * One real PostgreSQL server for the whole run, made by the project's own local-pg code, with a
 * migrated template database that every test file clones (Graphile Worker's approach).
 *
 * The run also gets a temporary folder of its own (TMPDIR for the test processes, which inherit
 * it): every server, lab and cluster the tests start lives under it. At the end anything still
 * running there (a test that timed out before its cleanup, a process its cleanup missed) is killed
 * and named, so no run leaves processes behind.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(path.join(tmpdir(), 'verdict-test-'));
  chmodSync(root, 0o755); // mkdtemp makes it 700; the postgres OS user must be able to enter it
  const runTmp = path.join(root, 'tmp');
  mkdirSync(runTmp, { mode: 0o755 });
  process.env.TMPDIR = runTmp;
  let cluster: LocalPgCluster | undefined;
  const teardown = async () => {
    await cluster?.stop('immediate').catch(() => undefined);
    const leftovers = killLeftovers(root);
    if (leftovers.length > 0) {
      process.stderr.write(`\ntest run: killed ${leftovers.length} process(es) left behind:\n${leftovers.map((l) => `  ${l.pid} ${l.command}`).join('\n')}\n`);
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    cluster = new LocalPgCluster({ dir: path.join(root, 'pg'), durable: false });
    await cluster.init();
    await cluster.start();
    const admin = connect(cluster.url('postgres'), { max: 1 });
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    const template = connect(cluster.url(TEMPLATE_DB), { max: 1 });
    await migrate(template);
    await template.end();
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide('pgAdminUrl', cluster.url('postgres'));
  project.provide('pgTemplate', TEMPLATE_DB);
  return teardown;
}
