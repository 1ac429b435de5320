import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TokenUsageRecorder, type TokenUsageSink } from '../../src/data-plane/sync/token-usage.js';
import { waitFor } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });

/** A sink that records each write, and fails while `failing` is set. */
function fakeSink() {
  const writes: string[][] = [];
  let pending: (() => void) | undefined;
  const sink = {
    writes,
    failing: false,
    hold: false,
    release: () => pending?.(),
    async touch(hashes: readonly string[]): Promise<void> {
      if (sink.hold) await new Promise<void>((resolve) => (pending = resolve));
      if (sink.failing) throw new Error('no primary');
      writes.push([...hashes].sort());
    },
  } satisfies TokenUsageSink & Record<string, unknown>;
  return sink;
}

describe('token usage recorder', () => {
  it('writes each used token once per flush, and nothing when none was used', async () => {
    const sink = fakeSink();
    const recorder = new TokenUsageRecorder(sink, logger);
    await recorder.flush();
    expect(sink.writes).toEqual([]);
    for (const hash of ['b', 'a', 'b', 'a', 'c']) recorder.record(hash);
    expect(recorder.status.pending).toBe(3);
    await recorder.flush();
    expect(sink.writes).toEqual([['a', 'b', 'c']]);
    expect(recorder.status).toMatchObject({ pending: 0, failures: 0, dropped: 0 });
  });

  it('keeps the hashes of a failed flush for the next one and counts the failure', async () => {
    const sink = fakeSink();
    const recorder = new TokenUsageRecorder(sink, logger);
    recorder.record('a');
    sink.failing = true;
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(recorder.status).toMatchObject({ pending: 1, failures: 1, lastError: 'no primary' });
    recorder.record('b');
    sink.failing = false;
    await recorder.flush();
    expect(sink.writes).toEqual([['a', 'b']]);
    expect(recorder.status).toMatchObject({ pending: 0, failures: 1, lastError: undefined });
  });

  it('holds a bounded number of hashes and counts what it drops', async () => {
    const sink = fakeSink();
    const recorder = new TokenUsageRecorder(sink, logger, { maxPending: 2 });
    for (const hash of ['a', 'b', 'a', 'c', 'd']) recorder.record(hash);
    expect(recorder.status).toMatchObject({ pending: 2, dropped: 2 });
    await recorder.flush();
    expect(sink.writes).toEqual([['a', 'b']]);
  });

  it('never makes the recording side wait for a slow sink', async () => {
    const sink = fakeSink();
    sink.hold = true;
    const recorder = new TokenUsageRecorder(sink, logger);
    recorder.record('a');
    const flushing = recorder.flush();
    // Recorded while the write hangs: kept for the next flush, at once.
    recorder.record('b');
    expect(recorder.status.pending).toBe(1);
    expect(recorder.flush()).toBe(flushing); // one write at a time
    sink.hold = false;
    sink.release();
    await flushing;
    await recorder.flush();
    expect(sink.writes).toEqual([['a'], ['b']]);
  });

  it('flushes on its interval and once more when stopped', async () => {
    const sink = fakeSink();
    const recorder = new TokenUsageRecorder(sink, logger, { intervalMs: 20 });
    onTestFinished(() => recorder.stop());
    recorder.start();
    recorder.record('a');
    await waitFor('the periodic flush', () => sink.writes.length === 1);
    recorder.record('b');
    await recorder.stop();
    expect(sink.writes).toEqual([['a'], ['b']]);
  });
});
