import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A node whose read database has not replayed the schema yet (a standby in a region that starts
 * while its writer migrates) waits for it instead of exiting. Here the "standby" is a database
 * that gets its schema a moment after the node starts.
 */
describe('a starting node whose read database has no schema yet', () => {
  let writer: TestDatabase;
  let server: TestServer | undefined;
  const adminUrl = inject('pgAdminUrl');
  const readerName = `r_${randomBytes(6).toString('hex')}`;

  afterAll(async () => {
    await server?.close();
    await writer?.drop();
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${readerName} WITH (FORCE)`).finally(() => admin.end());
  });

  it('waits until the schema is there, then serves', async () => {
    writer = await createTestDatabase();
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`CREATE DATABASE ${readerName}`).finally(() => admin.end());
    const readerUrl = adminUrl.replace(/\/postgres$/, `/${readerName}`);

    const starting = startTestServer({ replicated: { writerUrl: writer.url, readerUrl } });
    let started = false;
    void starting.then(() => (started = true), () => undefined);
    // Only once the node has connected to its read database (and found no tables there) does the
    // schema arrive, so the node has met the missing schema before it is migrated.
    const watcher = connect(adminUrl, { max: 1 });
    try {
      await waitFor('the node to read its read database', async () => {
        const [row] = await watcher<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${readerName}`;
        return row!.n > 0;
      });
    } finally {
      await watcher.end();
    }
    expect(started).toBe(false);
    const reader = connect(readerUrl, { max: 1 });
    try {
      await migrate(reader);
    } finally {
      await reader.end();
    }
    server = await starting;
    expect(started).toBe(true);
    expect(server.dataPlane.runtime.state).toBeDefined();
    expect((await server.request('GET', '/health/ready', { token: null })).status).toBe(200);
  });
});
