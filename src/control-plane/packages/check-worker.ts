import { serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import type { CheckInput, FromCheck, ToCheck, WireError } from './check.js';
import { parsePackage, type PackagedDecision } from './parse.js';

/**
 * The thread that reads a package for the server (check.ts starts it): unzip, JSON.parse and
 * canonical hashing, which cost seconds per ten MiB and on the main thread stalled health checks
 * and evaluations. Graphs are validated by the caller, through the engine's isolated process
 * (zen-engine never runs in the node's own process). The content goes back one decision at a
 * time, V8-serialized (cheaper to read than JSON), and only when the caller asks for it.
 */
const port = parentPort!;
const { zip, limits } = workerData as CheckInput;

function wire(error: unknown): WireError {
  if (error instanceof AppError) return { code: error.code, detail: error.detail, extensions: { ...error.extensions } };
  return { detail: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

const send = (message: FromCheck, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function sendContents(decisions: readonly PackagedDecision[]): void {
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
    if (message.type !== 'contents') return;
    try {
      sendContents(pkg.decisions);
    } catch (error) {
      send({ type: 'failed', error: wire(error) });
    }
  });
} catch (error) {
  send({ type: 'failed', error: wire(error) });
}
