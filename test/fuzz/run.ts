import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Sql } from '../../src/db/connect.js';
import { generateSigningKeys, loadPrivateKey } from '../../src/control-plane/packages/signing.js';
import { ZipFactory } from './arbitraries/zip.js';
import { entryPoints, type FuzzCase, type RunContext } from './cases.js';
import { hangMs, send, type FuzzRequest, type FuzzResponse, type Outcome } from './harness/http.js';
import { EngineOracle, RowCounter, countDifference, excerpt, parseJsonBody, problemViolation } from './harness/oracle.js';
import { Api, seedServer, type Seed } from './harness/seed.js';
import { ServerProcess, describeExit } from './harness/server.js';

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** The server's database (fresh, migrated); the runner counts its rows through `sql`. */
  readonly databaseUrl: string;
  readonly sql: Sql;
  /** A folder for the server's data directory and keys (removed by the caller). */
  readonly workDir: string;
  /** Progress lines (stderr). */
  readonly progress: (line: string) => void;
  readonly progressEveryMs?: number;
  /** Every case and its answer, one JSON line each (FUZZ_LOG), for looking into a run. */
  readonly caseLog?: string | undefined;
}

export type FailureKind = '5xx' | 'hang' | 'crash' | 'no-answer' | 'not-a-problem' | 'rows-changed' | 'wrong-result' | 'request-id' | 'harness';

export interface Failure {
  readonly kind: FailureKind;
  readonly entry: string;
  readonly label: string;
  readonly detail: string;
  readonly request: string;
  readonly serverLog?: string | undefined;
}

export interface EntryStats {
  cases: number;
  ok2xx: number;
  refused4xx: number;
  other: number;
  designed503: number;
  fiveXx: number;
  hangs: number;
  crashes: number;
  failures: number;
  slowestMs: number;
  totalMs: number;
  /** Answers saying an engine host crashed on the request (contained by the node: reported, not failed). */
  engineCrashes: number;
  /** How often each answer came: status and problem code ('422 invalid-decision', '200'). */
  answers: Map<string, number>;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly cases: number;
  readonly fiveXx: number;
  readonly hangs: number;
  readonly crashes: number;
  readonly failures: readonly Failure[];
  readonly entries: ReadonlyMap<string, EntryStats>;
  readonly durationMs: number;
  readonly serverStarts: number;
}

/** Limits for the server under test: short enough to reach in a fuzz case, not hair-trigger. */
export const SERVER_LIMITS = {
  VERDICT_BODY_LIMIT_BYTES: String(2 * 1024 * 1024),
  VERDICT_PACKAGE_LIMIT_BYTES: String(4 * 1024 * 1024),
  VERDICT_PACKAGE_EXPANDED_LIMIT_BYTES: String(16 * 1024 * 1024),
  VERDICT_PACKAGE_ENTRY_LIMIT_BYTES: String(4 * 1024 * 1024),
  VERDICT_PACKAGE_CHECK_TIMEOUT_MS: '4000',
  VERDICT_REQUEST_TIMEOUT_MS: '3000',
  VERDICT_EVAL_TIMEOUT_MS: '1000',
  VERDICT_EVAL_SLOW_MS: '500',
  VERDICT_ISOLATION_MS: '10000',
  VERDICT_BATCH_MAX_ITEMS: '64',
  VERDICT_SYNC_INTERVAL_MS: '100',
  VERDICT_HEARTBEAT_INTERVAL_MS: '1000',
  VERDICT_DB_TIMEOUT_MS: '4000',
} as const;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Runs `cases` fuzz cases against a real `verdict serve` process: fast-check draws each case from
 * the entry points' arbitraries, the runner sends it and checks the answer. A crashed server is
 * counted, reported with the request that killed it, and started again; the run always finishes
 * with a summary.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const keys = generateSigningKeys();
  const privateKeyFile = path.join(options.workDir, 'fuzz.key');
  const publicKeyFile = path.join(options.workDir, 'fuzz.pub');
  writeFileSync(privateKeyFile, keys.privateKey, { mode: 0o600 });
  writeFileSync(publicKeyFile, keys.publicKey);
  const server = new ServerProcess({
    databaseUrl: options.databaseUrl,
    dataDir: path.join(options.workDir, 'data'),
    env: {
      ...SERVER_LIMITS,
      VERDICT_SIGNING_KEY: privateKeyFile,
      VERDICT_TRUSTED_KEYS: publicKeyFile,
      // Unsigned packages too, so that both paths are reachable.
      VERDICT_REQUIRE_SIGNED_PACKAGES: 'false',
    },
  });
  const killOnExit = () => server.killNow();
  process.once('exit', killOnExit);
  const failures: Failure[] = [];
  const entries = new Map<string, EntryStats>();
  let fiveXx = 0;
  let hangs = 0;
  let crashes = 0;
  let done = 0;
  let oracle: EngineOracle | undefined;
  try {
    await server.start();
    options.progress(`fuzz: server up after ${Math.round(performance.now() - started)} ms`);
    const api = new Api(server.url, server.adminToken);
    const seed = await seedServer(api, options.progress);
    await waitForServing(server, seed);
    options.progress(`fuzz: seeded after ${Math.round(performance.now() - started)} ms`);
    oracle = new EngineOracle(api);
    const ctx: RunContext = { seed, oracle, api, zips: new ZipFactory(seed.packages, loadPrivateKey(keys.privateKey)) };
    const counter = new RowCounter(options.sql);
    await waitFor(async () => (await counter.counts()).fleetNodes! >= 1, 30_000, 'the fleet heartbeat');
    let baseline = await counter.counts();
    let baselineStale = false;

    const points = entryPoints(seed, { batchMaxItems: Number(SERVER_LIMITS.VERDICT_BATCH_MAX_ITEMS) });
    for (const p of points) entries.set(p.name, { cases: 0, ok2xx: 0, refused4xx: 0, other: 0, designed503: 0, fiveXx: 0, hangs: 0, crashes: 0, failures: 0, slowestMs: 0, totalMs: 0, engineCrashes: 0, answers: new Map() });
    const anyCase = fc.oneof(...points.map((p) => ({ arbitrary: p.arbitrary, weight: p.weight })));

    let lastProgress = performance.now();
    const report = (force = false) => {
      if (!force && performance.now() - lastProgress < (options.progressEveryMs ?? 10_000)) return;
      lastProgress = performance.now();
      options.progress(`fuzz: ${done}/${options.cases} cases (${Math.round((performance.now() - started) / 1000)} s), ${fiveXx} 5xx, ${hangs} hangs, ${crashes} crashes, ${failures.length} failures`);
    };

    const runCase = async (c: FuzzCase): Promise<void> => {
      const stats = entries.get(c.entry)!;
      const fail = (kind: FailureKind, detail: string, request: FuzzRequest | undefined, withLog = false) => {
        stats.failures++;
        failures.push({ kind, entry: c.entry, label: excerpt(c.label, 300), detail, request: request ? describeRequest(request) : '(not built)', ...(withLog ? { serverLog: lastLines(server.logTail, 40) } : {}) });
        options.progress(`fuzz: FAILURE (${kind}) in ${c.entry}: ${excerpt(c.label, 150)}: ${excerpt(detail, 300)}`);
      };
      let request: FuzzRequest | undefined;
      try {
        if (!server.alive) await restart(server, options.progress);
        if (baselineStale) {
          baseline = await counter.counts();
          baselineStale = false;
        }
        request = typeof c.request === 'function' ? await c.request(ctx) : c.request;
        const bodyLimitBytes = Number(request.path.includes('/packages') ? SERVER_LIMITS.VERDICT_PACKAGE_LIMIT_BYTES : SERVER_LIMITS.VERDICT_BODY_LIMIT_BYTES);
        const outcome = await send(request.metricsPort ? server.metricsPort : server.port, request, { bodyLimitBytes });
        stats.cases++;
        done++;
        stats.totalMs += outcome.ms;
        stats.slowestMs = Math.max(stats.slowestMs, outcome.ms);
        // A crash shows as the process ending; give it a moment to be noticed.
        if (outcome.kind !== 'response' || outcome.response.status >= 500) await settle(server);
        if (!server.alive) {
          crashes++;
          stats.crashes++;
          fail('crash', `the server process ended (${describeExit(server.exit!)}) while handling this request; outcome: ${describeOutcome(outcome)}`, request, true);
          await restart(server, options.progress);
          baselineStale = true;
          return;
        }
        if (outcome.kind === 'hang') {
          hangs++;
          stats.hangs++;
          fail('hang', `no complete answer within ${hangMs()} ms`, request, true);
          if (!(await server.live(hangMs()))) {
            options.progress('fuzz: the server does not answer /health/live after a hang; restarting it');
            await server.stop(2000);
            await restart(server, options.progress);
          }
          baselineStale = true;
          return;
        }
        if (outcome.kind === 'unsendable') {
          fail('harness', `the HTTP client refused to send the request: ${outcome.error}`, request);
          return;
        }
        if (outcome.kind === 'no-answer') {
          fail('no-answer', `the connection ended without an answer (${outcome.error})`, request);
          baselineStale = true;
          return;
        }
        const response = outcome.response;
        const answer = `${response.status}${response.status >= 400 ? ` ${String((parseJsonBody(response) as { code?: unknown } | undefined)?.code ?? '')}` : ''}`;
        stats.answers.set(answer, (stats.answers.get(answer) ?? 0) + 1);
        if (response.body.includes('the engine crashed')) stats.engineCrashes++;
        if (options.caseLog) {
          appendFileSync(options.caseLog, `${JSON.stringify({ entry: c.entry, label: excerpt(c.label, 300), status: response.status, ms: outcome.ms, answer: excerpt(response.body.toString('utf8'), 400), request: excerpt(describeRequest(request), 3000) })}\n`);
        }
        if (response.status >= 500) {
          if (c.designed503?.(response) || (process.env.FUZZ_BUSY_IS_DESIGNED === '1' && answersBusy(response))) {
            stats.designed503++;
            return;
          }
          fiveXx++;
          stats.fiveXx++;
          fail('5xx', `answered ${response.status}: ${excerpt(response.body.toString('utf8'), 600)}`, request, true);
          baselineStale = true;
          return;
        }
        const idProblem = requestIdProblem(request, response);
        if (idProblem) fail('request-id', idProblem, request);
        if (response.status >= 400) {
          stats.refused4xx++;
          const violation = request.method === 'HEAD' ? headProblem(response) : problemViolation(response);
          if (violation) fail('not-a-problem', violation, request);
          const after = await counter.counts();
          const changed = countDifference(baseline, after);
          if (changed) {
            fail('rows-changed', `refused with ${response.status} (${excerpt(response.body.toString('utf8'), 200)}) but rows changed: ${changed}`, request);
            baseline = after;
          }
          return;
        }
        if (response.status >= 200 && response.status < 300) {
          stats.ok2xx++;
          const wrong = c.check && request.method !== 'HEAD' ? await c.check(response, request, ctx) : undefined;
          if (wrong) fail('wrong-result', wrong, request);
        } else {
          stats.other++;
        }
        if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS') baselineStale = true;
      } catch (error) {
        fail('harness', `the fuzzer itself failed on this case: ${(error as Error)?.stack ?? String(error)}`, request);
        baselineStale = true;
      } finally {
        report();
      }
    };

    const details = await fc.check(
      fc.asyncProperty(anyCase, async (c) => {
        await runCase(c);
        return true; // failures are collected, not thrown: the run goes on and every one is reported
      }),
      { numRuns: options.cases, seed: options.seed, endOnFailure: true },
    );
    if (details.failed) {
      // Only a generator can fail here (the property never does): a bug of the fuzzer, reported as such.
      failures.push({ kind: 'harness', entry: '(generator)', label: 'fast-check stopped', detail: String((details as { errorInstance?: unknown }).errorInstance ?? "unknown"), request: '(none)' });
    }
    report(true);
  } finally {
    oracle?.dispose();
    await server.stop();
    process.removeListener('exit', killOnExit);
  }
  return { seed: options.seed, cases: done, fiveXx, hangs, crashes, failures, entries, durationMs: Math.round(performance.now() - started), serverStarts: server.starts };
}

async function restart(server: ServerProcess, progress: (line: string) => void): Promise<void> {
  await server.stop(2000);
  progress('fuzz: starting the server again');
  await server.start();
  await waitFor(() => server.live(), 30_000, 'the restarted server');
}

/** After a failure-like outcome: a short wait for a dying process to be seen as dead. */
async function settle(server: ServerProcess): Promise<void> {
  for (let i = 0; i < 10 && server.alive; i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Until every seeded environment serves what was deployed to it (the node polls for deployments). */
async function waitForServing(server: ServerProcess, seed: Seed): Promise<void> {
  const api = new Api(server.url, server.adminToken);
  for (const env of seed.environments) {
    await waitFor(
      async () => {
        const serving = await api.call<{ releaseId: string | null }>('GET', `/api/projects/${env.project}/environments/${env.env}/serving`);
        const current = await api.call<{ current: { releaseId: string } | null }>('GET', `/api/projects/${env.project}/environments/${env.env}`);
        return serving.releaseId === (current.current?.releaseId ?? null);
      },
      30_000,
      `${env.project}/${env.env} to be served`,
    );
  }
}

/** A valid X-Request-Id comes back, unless the request was refused before its headers were parsed (a problem without instance). */
function requestIdProblem(request: FuzzRequest, response: FuzzResponse): string | undefined {
  const sent = request.headers['x-request-id'];
  const answered = response.headers['x-request-id'];
  if (typeof sent !== 'string' || !REQUEST_ID.test(sent) || answered === undefined) return undefined;
  if (response.status >= 400 && (parseJsonBody(response) as { instance?: unknown } | undefined)?.instance === undefined) return undefined;
  return answered === sent ? undefined : `X-Request-Id '${sent}' came back as '${String(answered)}'`;
}

function headProblem(response: FuzzResponse): string | undefined {
  const type = String(response.headers['content-type'] ?? '');
  return type.startsWith('application/problem+json') ? undefined : `a HEAD answered ${response.status} with content-type '${type}'`;
}

function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'response':
      return `${outcome.response.status} after ${outcome.ms} ms`;
    case 'hang':
      return `no answer after ${outcome.ms} ms`;
    default:
      return `${outcome.kind}: ${outcome.error}`;
  }
}

/** Method, path, headers (long values cut) and a body excerpt: enough to send it again. */
export function describeRequest(request: FuzzRequest): string {
  if (request.raw) return `raw bytes (${request.raw.length}): ${excerpt(JSON.stringify(request.raw.toString('latin1')), 600)}`;
  const headers = Object.entries(request.headers)
    .map(([k, v]) => `  ${k}: ${excerpt(Array.isArray(v) ? v.join(' | ') : String(v), 160)}`)
    .join('\n');
  const body =
    request.body === undefined
      ? '(no body)'
      : Buffer.isBuffer(request.body)
        ? `${request.body.length} bytes: ${request.body.subarray(0, 64).toString('hex')}...`
        : excerpt(request.body, 800);
  return `${request.method} ${excerpt(request.path, 400)}${request.metricsPort ? ' (metrics listener)' : ''}\n${headers}\n  body: ${body}`;
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

/** A per-entry-point table and every failure, for the end of a run. */
export function formatSummary(summary: FuzzSummary): string {
  const lines: string[] = [];
  lines.push(`fuzz seed ${summary.seed} (FUZZ_SEED=${summary.seed} reproduces this run), ${Math.round(summary.durationMs / 1000)} s, server started ${summary.serverStarts} time(s)`);
  lines.push('entry point           cases    2xx    4xx  other  503*    5xx  hangs crashes  fail  engine*  slowest ms  mean ms');
  for (const [name, s] of summary.entries) {
    lines.push(
      `${name.padEnd(20)} ${String(s.cases).padStart(6)} ${String(s.ok2xx).padStart(6)} ${String(s.refused4xx).padStart(6)} ${String(s.other).padStart(6)} ${String(s.designed503).padStart(5)} ${String(s.fiveXx).padStart(6)} ${String(s.hangs).padStart(6)} ${String(s.crashes).padStart(7)} ${String(s.failures).padStart(5)} ${String(s.engineCrashes).padStart(8)} ${String(s.slowestMs).padStart(11)} ${String(s.cases ? Math.round(s.totalMs / s.cases) : 0).padStart(8)}`,
    );
  }
  lines.push('(503*: health checks answering 503 by contract: /health/replica on a node whose database is the primary, etc.; with FUZZ_BUSY_IS_DESIGNED=1 also "the machine is busy, retry" answers)');
  lines.push('(engine*: answers saying an engine host crashed on the request; the node contains these (422, host restarted, decision isolated), so they are reported, not failed)');
  lines.push('', 'answers by entry point (status and problem code, most frequent first):');
  for (const [name, s] of summary.entries) {
    const top = [...s.answers].sort((a, b) => b[1] - a[1]).map(([answer, n]) => `${answer} x${n}`);
    lines.push(`  ${name}: ${top.slice(0, 12).join(', ')}${top.length > 12 ? ', ...' : ''}`);
  }
  if (summary.failures.length) {
    lines.push('', `${summary.failures.length} failure(s):`);
    summary.failures.forEach((f, i) => {
      lines.push('', `#${i + 1} [${f.kind}] ${f.entry}: ${f.label}`, `  ${f.detail}`, `  request: ${f.request.replaceAll('\n', '\n  ')}`);
      if (f.serverLog) lines.push('  server log (last lines):', ...f.serverLog.split('\n').map((l) => `    ${excerpt(l, 400)}`));
    });
  }
  return lines.join('\n');
}


/** The overload answer: 503 not-ready because the machine gave the engine no CPU or room in time. */
function answersBusy(response: FuzzResponse): boolean {
  if (response.status !== 503) return false;
  const body = parseJsonBody(response) as { code?: unknown; detail?: unknown } | undefined;
  return body?.code === 'not-ready' && typeof body.detail === 'string' && /machine is busy|had room before|too busy/.test(body.detail);
}
