import pino from 'pino';
import { connect } from '../src/db/connect.js';
import { bumpGeneration } from '../src/db/generation.js';
import { startBenchNode } from './node.js';
import type { VerdictNode } from '../src/node.js';
import { startReplicatedPair } from '../test/helpers/replication.js';
import { fmt, percentile, printTable } from './lib.js';

/**
 * Promotion to the first write through a Verdict node: a node in region B writes through the
 * multi-host DATABASE_URL; region A's primary is killed, the standby promoted (pg_promote, generation
 * bumped), and the node keeps trying a write every 10 ms. No restart.
 */
export async function benchFailover(rounds = 3): Promise<void> {
  const rows: { promoteMs: number; firstWriteMs: number; attempts: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const pair = await startReplicatedPair({ durable: true });
    const logger = pino({ level: 'silent' });
    let node: VerdictNode | undefined;
    try {
      const started = await startBenchNode({ writerUrl: pair.writerUrl, readerUrl: pair.url(pair.standby), timeoutMs: 2000 }, logger);
      node = started.node;
      const { token } = started;
      const { url } = node;
      const write = async (n: number) =>
        (
          await fetch(`${url}/api/projects`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ key: `p-${round}-${n}` }),
          }).catch(() => ({ ok: false }))
        ).ok;
      if (!(await write(0))) throw new Error('the node could not write before the failover');
      await pair.caughtUp();

      await pair.primary.stop('immediate');
      const promoteStart = performance.now();
      const standby = connect(pair.url(pair.standby), { max: 1 });
      await standby`SELECT pg_promote(wait => true)`;
      await bumpGeneration(standby, 'bench', 'failover bench');
      await standby.end();
      const promoted = performance.now();
      let attempts = 0;
      while (!(await write(++attempts))) await new Promise((resolve) => setTimeout(resolve, 10));
      rows.push({ promoteMs: promoted - promoteStart, firstWriteMs: performance.now() - promoted, attempts });
    } finally {
      await node?.close().catch(() => undefined);
      await pair.cleanup();
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  console.log(`\n## Failover: promotion to the first write through a Verdict node (${rounds} runs, no restart)`);
  printTable(
    rows.map((r, i) => ({ run: i + 1, 'pg_promote + generation ms': fmt(r.promoteMs), 'promoted -> first write ms': fmt(r.firstWriteMs), 'write attempts': r.attempts })),
  );
  console.log(
    `median: promote ${fmt(percentile(sorted(rows.map((r) => r.promoteMs)), 50))} ms, first write ${fmt(percentile(sorted(rows.map((r) => r.firstWriteMs)), 50))} ms after promotion`,
  );
}
