/**
 * An engine host: a child process that runs zen-engine for its node. zen has no time limit on
 * expressions and can crash on hostile data (a native stack overflow), and its worker threads are
 * shared by every evaluation of the process. Running it here means the node can stop a runaway
 * evaluation by killing this process, and a crash costs a restart of this process, not the node.
 */
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import {
  ZenDecisionContent,
  ZenEngine,
  evaluateExpressionSync,
  evaluateUnaryExpressionSync,
  overrideConfig,
  type ZenDecision,
} from '@gorules/zen-engine';
import type { JdmDocument } from '../../lib/jdm.js';
import { normalizeDecisionKey } from '../../lib/decision-keys.js';
import { createHttpHandler } from './outbound-http.js';
import { PROGRESS_FD, type BatchItem, type CheckResult, type FromHost, type HostOptions, type ToHost } from './protocol.js';

const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions;
overrideConfig({ functionTimeoutMillis: options.functionTimeoutMs });

// ':' cannot appear in a decision key, so `namespace::key` is unambiguous.
const SEPARATOR = '::';

let httpAllowed = 0;
let httpDenied = 0;
const contents = new Map<string, ZenDecisionContent>();
const decisions = new Map<string, Map<string, ZenDecision>>();

/**
 * The loader answers sub-decisions from memory, within the caller's namespace: every decisionNode
 * key is rewritten to `<namespace>::<key>` when a release is loaded, so a sub-decision always
 * resolves from the same release, and a function node's `zen.evaluate(key)` (passed through
 * unchanged) reaches nothing.
 */
const engine = new ZenEngine({
  loader: async (key) => {
    const content = contents.get(key);
    if (!content) throw new Error(`sub-decision '${key.split(SEPARATOR).pop() ?? key}' is not available`);
    return content;
  },
  httpHandler: createHttpHandler(options.allowHosts, (outcome) => (outcome === 'allowed' ? httpAllowed++ : httpDenied++)),
});

function namespaced(namespace: string, doc: JdmDocument): JdmDocument {
  if (!doc.nodes.some((n) => n.type === 'decisionNode')) return doc;
  return {
    ...doc,
    nodes: doc.nodes.map((node) => {
      if (node.type !== 'decisionNode') return node;
      const content = (node.content ?? {}) as { key?: unknown };
      if (typeof content.key !== 'string') return node;
      return { ...node, content: { ...content, key: `${namespace}${SEPARATOR}${normalizeDecisionKey(content.key)}` } };
    }),
  };
}

function load(ns: string, docs: readonly { key: string; content: JdmDocument }[]): void {
  const loaded = new Map<string, ZenDecision>();
  try {
    for (const { key, content } of docs) {
      const parsed = new ZenDecisionContent(namespaced(ns, content) as object);
      contents.set(`${ns}${SEPARATOR}${key}`, parsed);
      loaded.set(key, engine.createDecision(parsed));
    }
  } catch (error) {
    unload(ns);
    throw new Error(`decision ${docs[loaded.size]?.key ?? '?'}: ${message(error)}`, { cause: error });
  }
  decisions.set(ns, loaded);
}

function unload(ns: string): void {
  decisions.delete(ns);
  const prefix = `${ns}${SEPARATOR}`;
  for (const key of contents.keys()) if (key.startsWith(prefix)) contents.delete(key);
}

function decision(ns: string, key: string): ZenDecision {
  const found = decisions.get(ns)?.get(key);
  if (!found) throw new Error(`decision '${key}' is not loaded in this engine host`);
  return found;
}

function message(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/** zen's parser and lexer errors mean "does not compile"; anything else is a runtime matter (no data). */
function compileError(error: unknown): string | undefined {
  const text = message(error).split('\n')[0] ?? '';
  try {
    const parsed = JSON.parse(text) as { type?: string; source?: string };
    if (parsed.type === 'parserError' || parsed.type === 'lexerError') return parsed.source ?? parsed.type;
  } catch {
    // not a structured engine error: treat as runtime, not syntax
  }
  return undefined;
}

/**
 * The engine has no parse-only call, so an expression is checked by evaluating it against an empty
 * context, synchronously and one at a time. Before each one the host writes its index to the
 * progress pipe: when an evaluation never returns, the node knows which expression it was, stops
 * this process and carries on with the rest.
 */
function check(items: readonly { kind: 'standard' | 'unary'; expression: string }[]): CheckResult[] {
  const results: CheckResult[] = [];
  for (let i = 0; i < items.length; i++) {
    writeSync(PROGRESS_FD, `${i}\n`);
    const { kind, expression } = items[i]!;
    try {
      if (kind === 'standard') evaluateExpressionSync(expression, {});
      else evaluateUnaryExpressionSync(expression, { $: null });
      results.push({ ok: true });
    } catch (error) {
      const problem = compileError(error);
      results.push(problem === undefined ? { ok: true } : { ok: false, error: problem });
    }
  }
  return results;
}

function loadable(content: JdmDocument): string | undefined {
  try {
    engine.createDecision(content as object).validate();
    return undefined;
  } catch (error) {
    const text = message(error).split('\n')[0] ?? '';
    try {
      const parsed = JSON.parse(text) as { type?: string };
      return parsed.type ?? text;
    } catch {
      return text;
    }
  }
}

// Replies are coalesced: everything answered in one turn of the event loop goes in one write.
let outbox: FromHost[] = [];
let flushing = false;
/**
 * An answer JSON cannot carry (a result nested thousands deep overflows the serialiser) must not
 * take the host down with the others sent alongside: each is tried alone, and one that still
 * fails is answered with an error.
 */
function send(batch: FromHost[]): void {
  try {
    process.send!(batch);
    return;
  } catch {
    // one of them cannot be serialised: find which
  }
  for (const item of batch) {
    try {
      process.send!([item]);
    } catch (error) {
      if (item.t === 'ready') continue;
      process.stderr.write(`cannot send the answer to request ${item.id}: ${message(error)}\n`);
      process.send!([{ t: 'error', id: item.id, error: `the engine's answer cannot be sent back: ${message(error)}` } satisfies FromHost]);
    }
  }
}

function reply(message: FromHost): void {
  outbox.push(message);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    if (httpAllowed + httpDenied > 0) {
      outbox.push({ t: 'ok', id: 0, value: null, http: { allowed: httpAllowed, denied: httpDenied } });
      httpAllowed = httpDenied = 0;
    }
    const batch = outbox;
    outbox = [];
    send(batch);
  });
}

type Work = Extract<ToHost, { t: 'eval' | 'batch' | 'check' | 'loadable' }>;

/**
 * Work starts as it arrives: pinned to one CPU, zen has one thread, and evaluations sent together
 * share its wake-ups (measured on one core: 72-89 µs of CPU per evaluation this way, 195-243 µs
 * when each waited for the one before). The node tells a runaway from the rest itself.
 */
function start(msg: Work): void {
  run(msg).then(
    (value) => reply({ t: 'ok', id: msg.id, value }),
    (error: unknown) => reply({ t: 'error', id: msg.id, error: message(error) }),
  );
}

async function run(msg: Work): Promise<unknown> {
  switch (msg.t) {
    case 'eval': {
      const d = decision(msg.ns, msg.key);
      // Without options when not tracing: passing an options object costs ~4% per evaluation.
      return msg.trace ? d.evaluate(msg.context, { trace: true }) : d.evaluate(msg.context);
    }
    case 'batch': {
      const d = decision(msg.ns, msg.key);
      return Promise.all(
        msg.contexts.map((context) =>
          d.evaluate(context, { trace: msg.trace }).then(
            (response): BatchItem => ({ ok: true, response }),
            (error: unknown): BatchItem => ({ ok: false, error: message(error) }),
          ),
        ),
      );
    }
    case 'check':
      return check(msg.items);
    case 'loadable':
      return loadable(msg.content) ?? null;
    default: {
      const never: never = msg;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
}

function handle(msg: ToHost): void {
  switch (msg.t) {
    case 'load':
      try {
        load(msg.ns, msg.decisions);
        reply({ t: 'ok', id: msg.id, value: null });
      } catch (error) {
        reply({ t: 'error', id: msg.id, error: message(error) });
      }
      return;
    case 'unload':
      unload(msg.ns);
      return;
    default:
      start(msg);
  }
}

process.on('message', (batch: ToHost[]) => {
  for (const msg of batch) handle(msg);
});
// The node went away (its IPC channel closed): nothing left to serve.
process.on('disconnect', () => process.exit(0));

/**
 * A node killed with SIGKILL cannot stop its hosts, and a host busy in a native loop never sees
 * its IPC channel close. This watchdog runs on its own thread, so it notices even then.
 */
const parent = process.ppid;
new Worker(
  `setInterval(() => { if (process.ppid !== ${parent}) process.kill(process.pid, 'SIGKILL'); }, 1000);`,
  { eval: true },
).unref();

/**
 * The first evaluations of a fresh process pay for lazy initialisation (code paths compiled and
 * warmed): a few evaluations of a small graph here keep that cost off the first real request, so
 * a replacement host does not look slow.
 */
async function warmUp(): Promise<void> {
  const graph = {
    nodes: [
      { id: 'in', type: 'inputNode', name: 'in' },
      {
        id: 'table',
        type: 'decisionTableNode',
        name: 'table',
        content: {
          hitPolicy: 'first',
          inputs: [{ id: 'i', name: 'a', field: 'a' }],
          outputs: [{ id: 'o', name: 'b', field: 'b' }],
          rules: [
            { _id: 'r1', i: '> 1', o: 'a * 2' },
            { _id: 'r2', i: '', o: '0' },
          ],
        },
      },
      { id: 'expr', type: 'expressionNode', name: 'expr', content: { expressions: [{ id: 'e', key: 'c', value: 'b + 1' }] } },
      { id: 'out', type: 'outputNode', name: 'out' },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'table' },
      { id: 'e2', sourceId: 'table', targetId: 'expr' },
      { id: 'e3', sourceId: 'expr', targetId: 'out' },
    ],
  };
  const decision = engine.createDecision(graph);
  for (let i = 0; i < 20; i++) await decision.evaluate({ a: i }, i % 2 === 0 ? { trace: true } : undefined);
  evaluateExpressionSync('1 + 1', {});
  evaluateUnaryExpressionSync('> 1', { $: 2 });
}

void warmUp()
  .catch(() => undefined) // a host that cannot warm up still serves; its first request pays instead
  .then(() => process.send!([{ t: 'ready' } satisfies FromHost]));
