import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { Database } from '../../src/db/database.js';
import { GenerationWatch } from '../../src/db/generation-watch.js';
import { bumpGeneration } from '../../src/db/generation.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Found by the chaos run (pause-primary, async): a node whose primary was paused, a standby
 * promoted meanwhile, and the old primary resumed, kept writing to the old primary, because
 * nothing it did failed there; with async replication those writes were acknowledged and then
 * discarded by the rejoin. A node that asks every host for its generation fences it without
 * waiting for an error.
 */
describe('the generation watch', () => {
  let pair: ReplicatedPair;
  beforeAll(async () => {
    pair = await startReplicatedPair({ durable: false });
  });
  afterAll(async () => {
    await pair?.cleanup();
  });

  it('moves writes off an old primary that still answers, once another host has a newer generation', async () => {
    const db = new Database({ writerUrl: pair.writerUrl, timeoutMs: 2000 });
    const watch = new GenerationWatch(db, 100);
    try {
      await db.open();
      await db.transaction((tx) => tx`INSERT INTO projects (key, name, created_by) VALUES ('before', 'before', 'x')`);
      expect(db.status().writer.host).toBe(`127.0.0.1:${pair.primary.port}`);
      await pair.caughtUp();

      // The standby is promoted while the old primary goes on answering (paused and resumed, or
      // cut off and healed): two writable servers, generations 1 and 2.
      const promoted = connect(pair.url(pair.standby), { max: 1 });
      await promoted`SELECT pg_promote(wait => true)`;
      await bumpGeneration(promoted, 'test', 'promoted while the old primary still answers');
      await promoted.end();

      watch.start();
      await waitFor('the node to see generation 2', () => db.status().highestGeneration === 2, 10_000);
      await db.transaction((tx) => tx`INSERT INTO projects (key, name, created_by) VALUES ('after', 'after', 'x')`);
      expect(db.status().writer).toEqual({ host: `127.0.0.1:${pair.standby.port}`, generation: 2 });
      expect(db.status().fenced).toEqual([expect.objectContaining({ host: `127.0.0.1:${pair.primary.port}`, generation: 1 })]);
      const old = connect(pair.url(pair.primary), { max: 1 });
      expect(await old`SELECT key FROM projects WHERE key = 'after'`).toEqual([]);
      await old.end();
    } finally {
      await watch.stop();
      await db.close();
    }
  });
});
