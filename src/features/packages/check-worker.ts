import { serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import type { CheckInput, FromCheck, ToCheck, WireError } from './check.js';
import { parsePackage, type PackagedDecision } from './parse.js';

/**
 * The thread that checks a package for the server (check.ts starts it): unzip, JSON.parse,
 * canonical hashing and, when the caller asks for the content, graph validation. These cost
 * seconds per ten MiB, and on the main thread they stalled health checks and evaluations. The
 * content then goes back one decision at a time, V8-serialized (cheaper to read than JSON), so
 * the main thread reads it in small steps and only when it saves.
 */
const port = parentPort!;
const { zip, limits } = workerData as CheckInput;

function wire(error: unknown): WireError {
  if (error instanceof AppError) return { code: error.code, detail: error.detail, extensions: { ...error.extensions } };
  return { detail: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

const send = (message: FromCheck, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function sendContents(decisions: readonly PackagedDecision[]): Promise<void> {
  // Loaded only when needed: an already-applied package never pays for the engine.
  const { assertValidDecisions, validateJdm } = await import('../decisions/validate.js');
  // Validating a 6 MiB decision table held ~200 MiB of heap for a while, and eight at once (as
  // assertValidDecisions runs them) ran out of the thread's heap: graphs are validated together
  // only up to one file limit's worth of JSON (many small ones at once, large ones one by one).
  const invalid: PackagedDecision[] = [];
  let batch: PackagedDecision[] = [];
  let batchBytes = 0;
  const validateBatch = async () => {
    const problems = await Promise.all(batch.map((d) => validateJdm(d.content)));
    batch.forEach((d, i) => problems[i]!.length > 0 && invalid.push(d));
    batch = [];
    batchBytes = 0;
  };
  for (const d of decisions) {
    if (batch.length > 0 && batchBytes + d.bytes > limits.maxEntryBytes) await validateBatch();
    batch.push(d);
    batchBytes += d.bytes;
  }
  await validateBatch();
  if (invalid.length > 0) await assertValidDecisions(invalid); // the 422 a save answers, naming every problem
  for (const d of decisions) {
    const bytes = serialize(d.content);
    // The serializer's buffer is its own allocation: hand it over instead of copying it.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    send({ type: 'content', key: d.key, bytes }, own ? [bytes.buffer as ArrayBuffer] : []);
  }
  send({ type: 'contents-done' });
}

try {
  const pkg = await parsePackage(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), limits);
  send({ type: 'read', pkg: { ...pkg, decisions: pkg.decisions.map((d) => ({ key: d.key, contentHash: d.contentHash })) } });
  port.once('message', (message: ToCheck) => {
    if (message.type === 'contents') sendContents(pkg.decisions).catch((error: unknown) => send({ type: 'failed', error: wire(error) }));
  });
} catch (error) {
  send({ type: 'failed', error: wire(error) });
}
