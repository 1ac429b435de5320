import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpGeneration } from '../../src/db/generation.js';
import { reportOutOfSyncNodes } from '../../src/control-plane/webhooks/out-of-sync.js';
import { nextDueInMs } from '../../src/control-plane/webhooks/queue.js';
import { retryDelayMs } from '../../src/control-plane/webhooks/retry-schedule.js';
import { createTestDatabase } from '../helpers/db.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/** The documented recipe (docs/webhooks.md), as the example receiver ships it. */
type Verify = (secret: string, header: unknown, rawBody: Buffer | string, options?: { now?: number; toleranceSeconds?: number }) => boolean;
// Loaded by URL: it is plain JavaScript, kept free of TypeScript for people to copy.
const { verifyVerdictSignature } = (await import(new URL('../../examples/webhook-receiver/verify.js', import.meta.url).href)) as { verifyVerdictSignature: Verify };

describe('webhooks', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  const SECRET = 'test-secret-0123456789';

  beforeAll(async () => {
    // Loopback receivers need the allow-list; fast retries so a retry comes within the test.
    server = await startTestServer({ webhooks: { allowHosts: ['127.0.0.1'], retryBaseMs: 100, pollMs: 200, timeoutMs: 3000, outOfSyncMs: 1500 } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  const subscribe = async (project: string, events: string[], url = receiver.url, secret: string | null = SECRET) => {
    if ((await server.request('GET', `/api/projects/${project}`)).status === 404) {
      expect((await server.request('POST', '/api/projects', { body: { key: project } })).status).toBe(201);
    }
    const res = await server.request('POST', `/api/projects/${project}/webhooks`, { body: { url, events, ...(secret ? { secret } : {}) } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret?: string; secretPrefix: string };
  };
  const save = (project: string, key: string, v: string) =>
    server.request('PUT', `/api/projects/${project}/decisions/${key}`, { body: { content: expressionGraph({ v: `'${v}'` }) } });
  const forProject = (project: string, type: string) => receiver.delivered(type).filter((d) => d.body.project === project);

  it('subscribes with a generated secret shown once, lists prefixes only, and audits it', async () => {
    const created = await subscribe('hooks-a', ['decision.saved', 'release.created'], receiver.url, null);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.secretPrefix).toBe(`${created.secret!.slice(0, 10)}…`);
    const list = await server.request('GET', '/api/projects/hooks-a/webhooks');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ id: created.id, url: receiver.url, events: ['decision.saved', 'release.created'], secretPrefix: created.secretPrefix })]);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    const audit = (await server.request('GET', '/api/audit?action=webhook.create&project=hooks-a')).body.entries;
    expect(audit).toEqual([expect.objectContaining({ target: created.id, details: expect.objectContaining({ url: receiver.url }) })]);
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it('delivers a signed event that verifies with the documented recipe, and only with the right secret, body and time', async () => {
    await subscribe('hooks-b', ['decision.saved']);
    expect((await save('hooks-b', 'calc', 'one')).status).toBe(201);
    const [delivery] = await waitFor('decision.saved delivered', () => {
      const found = forProject('hooks-b', 'decision.saved');
      return found.length > 0 && found;
    });
    const { headers, raw, body } = delivery!;
    expect(body).toMatchObject({ type: 'decision.saved', project: 'hooks-b', data: { key: 'calc', version: 1, change: 'save', author: expect.any(String) } });
    expect(headers['verdict-event-id']).toBe(body.id);
    expect(headers['verdict-event-type']).toBe('decision.saved');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toMatch(/^Verdict-Webhooks\/\d/);
    expect(headers['verdict-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    expect(verifyVerdictSignature(SECRET, headers['verdict-signature'], raw)).toBe(true);
    expect(verifyVerdictSignature('another-secret-0123456', headers['verdict-signature'], raw)).toBe(false);
    expect(verifyVerdictSignature(SECRET, headers['verdict-signature'], Buffer.from(raw.toString().replace('calc', 'calx')))).toBe(false);
    expect(verifyVerdictSignature(SECRET, headers['verdict-signature'], raw, { now: Date.now() + 6 * 60_000 })).toBe(false); // outside the 5-minute window
    expect(verifyVerdictSignature(SECRET, undefined, raw)).toBe(false);
  });

  it('retries a receiver that answers 500, with the same event id, and logs every status code', async () => {
    const hook = await subscribe('hooks-c', ['release.created']);
    let failures = 0;
    receiver.answer = (_n, d) => (d.body.project === 'hooks-c' && failures++ < 1 ? 500 : 200);
    try {
      expect((await save('hooks-c', 'calc', 'one')).status).toBe(201);
      expect((await server.request('POST', '/api/projects/hooks-c/releases', { body: {} })).status).toBe(201);
      const deliveries = await waitFor('the release event delivered after a retry', async () => {
        const log = (await server.request('GET', `/api/projects/hooks-c/webhooks/${hook.id}/deliveries`)).body;
        return log[0]?.status === 'delivered' && log;
      });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ eventType: 'release.created', attempts: 2, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
      expect(deliveries[0].attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200]);
      expect(deliveries[0].attemptLog[0]).toMatchObject({ error: 'answered 500', responseSnippet: 'not now' });
      const seen = receiver.received.filter((d) => d.body.project === 'hooks-c');
      expect(seen.map((d) => d.status)).toEqual([500, 200]);
      expect(new Set(seen.map((d) => d.headers['verdict-event-id'])).size).toBe(1);
      expect(seen.map((d) => d.headers['verdict-delivery-attempt'])).toEqual(['1', '2']);
      expect(seen[0]!.raw.equals(seen[1]!.raw)).toBe(true); // the same bytes on every attempt
      expect(seen[1]!.body.data).toMatchObject({ label: 'v1', decisions: 1 });
    } finally {
      receiver.answer = () => 200;
    }
  });

  it('sends deploy, rollback and generation-change events to a * subscriber', async () => {
    await subscribe('hooks-d', ['*']);
    expect((await save('hooks-d', 'calc', 'one')).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-d/releases', { body: {} })).status).toBe(201);
    expect((await save('hooks-d', 'calc', 'two')).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-d/releases', { body: {} })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-d/environments', { body: { key: 'prod' } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-d/environments/prod/deployments', { body: { release: 'v1' } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-d/environments/prod/deployments', { body: { release: 'v2' } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-d/environments/prod/rollback', { body: {} })).status).toBe(201);
    // A promotion raises the generation with plain SQL (verdict dr promote): the trigger makes the event.
    await bumpGeneration(server.db.sql, 'test', 'pretend promotion');

    await waitFor('every event delivered', () => forProject('hooks-d', 'deployment.rollback').length === 1 && receiver.delivered('cluster.generation-changed').length >= 1);
    expect(forProject('hooks-d', 'decision.saved')).toHaveLength(2);
    expect(forProject('hooks-d', 'release.created')).toHaveLength(2);
    expect(forProject('hooks-d', 'deployment.done').map((d) => d.body.data.release.label)).toEqual(expect.arrayContaining(['v1', 'v2']));
    expect(forProject('hooks-d', 'deployment.rollback')[0]!.body.data).toMatchObject({ environment: 'prod', release: { label: 'v1' }, previousRelease: { label: 'v2' } });
    const generation = receiver.delivered('cluster.generation-changed')[0]!.body;
    expect(generation).toMatchObject({ project: null, data: { generation: 2, previousGeneration: 1, changedBy: 'test', note: 'pretend promotion' } });
  });

  it('reports a node that still serves another release after the threshold, once', async () => {
    await subscribe('hooks-e', ['node.out-of-sync']);
    expect((await save('hooks-e', 'calc', 'one')).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-e/releases', { body: {} })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-e/environments', { body: { key: 'prod' } })).status).toBe(201);
    expect((await server.request('POST', '/api/projects/hooks-e/environments/prod/deployments', { body: { release: 'v1' } })).status).toBe(201);
    // A node that heartbeats but serves nothing there (stuck on an old snapshot, say).
    await server.db.sql`
      INSERT INTO fleet_nodes (node_id, region, version, started_at, last_seen_at, heartbeat_interval_ms, db_role, serving)
      VALUES ('stuck-node', 'eu', 'x', now(), now(), 600000, 'replica', '[]')`;
    const [event] = await waitFor('node.out-of-sync delivered', () => {
      const found = forProject('hooks-e', 'node.out-of-sync');
      return found.length > 0 && found;
    });
    expect(event!.body.data).toMatchObject({ nodeId: 'stuck-node', region: 'eu', environment: 'prod', deployed: { label: 'v1' }, serving: null });
    // Checked again (as every node does each round): the stuck node was reported already, and the
    // test server's own node serves v1 in time, so nothing new.
    expect(await server.services.db.transaction((tx) => reportOutOfSyncNodes(tx, server.services.webhooks, 1500))).toBe(0);
    expect(forProject('hooks-e', 'node.out-of-sync').map((d) => d.body.data.nodeId)).toEqual(['stuck-node']);
  });

  it('refuses URLs that are not http(s) or that point at private addresses, as a problem document', async () => {
    if ((await server.request('GET', '/api/projects/hooks-f')).status === 404) await server.request('POST', '/api/projects', { body: { key: 'hooks-f' } });
    for (const [url, detail] of [
      ['http://10.1.2.3/hook', /10\.1\.2\.3 is not a public address .* VERDICT_WEBHOOK_ALLOW_HOSTS/],
      ['http://169.254.169.254/latest/meta-data', /not a public address/],
      ['http://[::ffff:192.168.1.1]/hook', /not a public address/],
      ['ftp://example.com/hook', /must be http or https/],
      ['https://user:pw@example.com/hook', /user name or password/],
    ] as const) {
      const res = await server.request('POST', '/api/projects/hooks-f/webhooks', { body: { url, events: ['*'] } });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body, url).toMatchObject({ code: 'bad-request', detail: expect.stringMatching(detail) });
    }
    const unknownEvent = await server.request('POST', '/api/projects/hooks-f/webhooks', { body: { url: receiver.url, events: ['decision.exploded'] } });
    expect(unknownEvent.status).toBe(400);
    expect(unknownEvent.body.code).toBe('validation-failed');
    expect((await server.request('GET', '/api/projects/hooks-f/webhooks')).body).toEqual([]);
  });

  it('is for admins only', async () => {
    const editor = await server.tokenFor('editor');
    const res = await server.request('GET', '/api/projects/hooks-a/webhooks', { token: editor });
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/not allowed to manage webhooks/);
  });

  it('pings one webhook, and deleting one cancels its pending deliveries and keeps nothing sending', async () => {
    const hook = await subscribe('hooks-g', ['decision.saved']);
    const ping = await server.request('POST', `/api/projects/hooks-g/webhooks/${hook.id}/ping`, { body: {} });
    expect(ping.status).toBe(202);
    await waitFor('the ping', () => receiver.delivered('webhook.ping').some((d) => d.body.id === ping.body.eventId));

    receiver.answer = (_n, d) => (d.body.project === 'hooks-g' ? 503 : 200);
    try {
      expect((await save('hooks-g', 'calc', 'one')).status).toBe(201);
      await waitFor('a failed attempt', () => receiver.received.some((d) => d.body.project === 'hooks-g' && d.status === 503));
      const deleted = await server.request('DELETE', `/api/projects/hooks-g/webhooks/${hook.id}`);
      expect(deleted.status).toBe(200);
      const log = (await server.request('GET', `/api/projects/hooks-g/webhooks/${hook.id}/deliveries`)).status;
      expect(log).toBe(404); // a deleted webhook is gone from the API; its rows stay in the database
      const [row] = await server.db.sql`
        SELECT d.status FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.subscription_id = ${hook.id} AND e.type = 'decision.saved'`;
      expect(row).toEqual({ status: 'cancelled' });
      expect((await server.request('DELETE', `/api/projects/hooks-g/webhooks/${hook.id}`)).status).toBe(404);
      const audit = (await server.request('GET', '/api/audit?action=webhook.delete&project=hooks-g')).body.entries;
      expect(audit).toHaveLength(1);
    } finally {
      receiver.answer = () => 200;
    }
  });
});

describe('webhook queue', () => {
  it('says nothing is due when no delivery is pending, so an idle node waits a whole poll interval', async () => {
    // GREATEST(0, NULL) is 0 in SQL: this once read "due now" and an idle node polled every 10 ms.
    const db = await createTestDatabase();
    try {
      expect(await nextDueInMs(db.sql)).toBeNull();
    } finally {
      await db.drop();
    }
  });
});

describe('webhook retry schedule', () => {
  it('backs off from the base to 8 h, about a day over the default 11 attempts, then gives up', () => {
    const exact = (n: number) => retryDelayMs(n, { baseMs: 10_000, maxAttempts: 11 }, () => 0.5);
    const delays = Array.from({ length: 10 }, (_, i) => exact(i + 1)!);
    expect(delays.map((ms) => ms / 1000)).toEqual([10, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800]);
    expect(delays.reduce((a, b) => a + b, 0) / 3_600_000).toBeCloseTo(23.7, 1);
    expect(exact(11)).toBeNull();
    // ±20% jitter
    expect(retryDelayMs(1, { baseMs: 10_000, maxAttempts: 11 }, () => 0)).toBe(8000);
    expect(retryDelayMs(1, { baseMs: 10_000, maxAttempts: 11 }, () => 0.999999)).toBe(12_000);
  });
});
