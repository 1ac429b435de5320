import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { bumpGeneration } from '../../src/db/generation.js';
import { expressionGraph } from '../helpers/graphs.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

type Verify = (secret: string, header: unknown, rawBody: Buffer | string) => boolean;
const { verifyVerdictSignature } = (await import(new URL('../../examples/webhook-receiver/verify.js', import.meta.url).href)) as { verifyVerdictSignature: Verify };

/**
 * The outbox's promise: an event whose change committed is delivered even when the primary is lost
 * before it was sent. Real primary, real streaming standby in synchronous mode (a commit is
 * acknowledged once the standby has it), the primary killed while the receiver is still refusing
 * the delivery, the standby promoted, and the node finding it on its own.
 */
describe('webhook deliveries across a primary failover', () => {
  let pair: ReplicatedPair;
  let server: TestServer;
  let receiver: WebhookReceiver;
  const SECRET = 'failover-secret-0123456789';

  beforeAll(async () => {
    pair = await startReplicatedPair();
    const primary = connect(pair.url(pair.primary), { max: 1 });
    try {
      await primary`ALTER SYSTEM SET synchronous_standby_names = '*'`;
      await primary`SELECT pg_reload_conf()`;
    } finally {
      await primary.end();
    }
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      replicated: { writerUrl: pair.writerUrl },
      webhooks: { allowHosts: ['127.0.0.1'], retryBaseMs: 100, maxAttempts: 50, pollMs: 200, timeoutMs: 2000 },
    });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await pair?.cleanup();
  });

  it('delivers an event committed before the primary was lost, from the promoted standby, with the same id and a valid signature', async () => {
    // The receiver is "down" (503) until the failover is over: the event must wait in the queue.
    receiver.answer = () => 503;
    expect((await server.request('POST', '/api/projects', { body: { key: 'fo' } })).status).toBe(201);
    const hook = await server.request('POST', '/api/projects/fo/webhooks', { body: { url: receiver.url, events: ['*'], secret: SECRET } });
    expect(hook.status).toBe(201);
    const saved = await server.request('PUT', '/api/projects/fo/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } });
    expect(saved.status).toBe(201);
    await waitFor('a refused attempt (the event is queued, not delivered)', () => receiver.received.some((d) => d.body.type === 'decision.saved'));
    const eventId = receiver.received.find((d) => d.body.type === 'decision.saved')!.body.id;
    // Synchronous replication: the commit was acknowledged only once the standby had it.
    const standby = connect(pair.url(pair.standby), { max: 1 });
    const primaryGoneAt = await (async () => {
      try {
        // Synchronous commit waits for the standby's flush, not its replay: wait until it is readable there.
        await waitFor('the event replayed on the standby', async () => (await standby`SELECT id FROM webhook_events WHERE id = ${eventId}`).length === 1);
        await pair.primary.stop('immediate');
        const goneAt = Date.now();
        receiver.answer = () => 200;
        await standby`SELECT pg_promote(wait => true)`;
        await bumpGeneration(standby, 'test', 'standby promoted');
        return goneAt;
      } finally {
        await standby.end();
      }
    })();

    const delivered = await waitFor('the event delivered from the new primary', () => receiver.delivered('decision.saved')[0], 90_000);
    expect(delivered.body.id).toBe(eventId);
    // Sent after the primary was gone: claimed from the promoted standby (the node moves to it as
    // soon as it is writable, even before the generation is raised).
    expect(delivered.at).toBeGreaterThanOrEqual(primaryGoneAt);
    expect(delivered.headers['verdict-event-id']).toBe(eventId);
    expect(verifyVerdictSignature(SECRET, delivered.headers['verdict-signature'], delivered.raw)).toBe(true);
    expect(server.services.db.status().writer.host).toBe(`127.0.0.1:${pair.standby.port}`);

    // The promotion itself is an event, made by the trigger on the new primary.
    const generation = await waitFor('cluster.generation-changed delivered', () => receiver.delivered('cluster.generation-changed')[0], 30_000);
    expect(generation.body.data).toMatchObject({ generation: 2, previousGeneration: 1, note: 'standby promoted' });
    expect(verifyVerdictSignature(SECRET, generation.headers['verdict-signature'], generation.raw)).toBe(true);

    // The worker records the answer after the receiver has it: wait for the record, not the request.
    await waitFor('the delivery log to say delivered', async () => {
      const log = (await server.request('GET', `/api/projects/fo/webhooks/${hook.body.id}/deliveries`)).body as { eventId: string; status: string }[];
      return log.find((d) => d.eventId === eventId)?.status === 'delivered';
    });
  });
});
