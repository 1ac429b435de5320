import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressionGraph } from '../helpers/graphs.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void>;
interface ExampleReceiver {
  createReceiver(options: { secret: string; forward: (event: unknown) => Promise<void> }): Handler;
  githubDispatch(options: { token: string; repository: string; apiUrl?: string }): (event: unknown) => Promise<void>;
}
// The example as people run it (plain JavaScript, no dependencies).
const example = (await import(new URL('../../examples/webhook-receiver/server.js', import.meta.url).href)) as ExampleReceiver;

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('verdict webhook, and the example receiver', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  const cli = (...args: string[]) => runCli(args, { url: server.url, token: server.adminToken });

  beforeAll(async () => {
    server = await startTestServer({ webhooks: { allowHosts: ['127.0.0.1'], retryBaseMs: 100, pollMs: 200 } });
    receiver = await startWebhookReceiver();
    expect((await cli('project', 'create', 'wh')).code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('creates, lists, shows deliveries, pings and deletes', async () => {
    const created = await cli('webhook', 'create', '--project', 'wh', '--url', receiver.url, '--events', 'decision.saved,deployment.done', '--secret', 'cli-secret-0123456789');
    expect(created.code, created.stderr).toBe(0);
    const id = /^created webhook ([0-9a-f-]{36}) for wh: decision\.saved, deployment\.done -> /.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(created.stdout).not.toContain('cli-secret-0123456789');

    const listed = JSON.parse((await cli('--json', 'webhook', 'list', '--project', 'wh')).stdout);
    expect(listed).toEqual([expect.objectContaining({ id, url: receiver.url, events: ['decision.saved', 'deployment.done'], secretPrefix: 'cli-…' })]);
    const table = (await cli('webhook', 'list', '--project', 'wh')).stdout;
    expect(table).toMatch(/^ID\s+URL\s+EVENTS\s+SECRET\s+CREATED/);
    expect(table).toContain(`${id}  ${receiver.url}  decision.saved,deployment.done  cli-…`);

    expect((await server.request('PUT', '/api/projects/wh/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } })).status).toBe(201);
    await waitFor('the delivery', () => receiver.delivered('decision.saved').length === 1);
    await waitFor('the delivery log to say delivered', async () => JSON.parse((await cli('--json', 'webhook', 'deliveries', id!, '--project', 'wh')).stdout)[0]?.status === 'delivered');
    const log = (await cli('webhook', 'deliveries', id!, '--project', 'wh')).stdout;
    expect(log).toMatch(/^ID\s+EVENT\s+EVENT ID\s+STATUS\s+ATTEMPTS\s+CODES\s+NEXT\s+LAST ERROR\n/);
    expect(log).toMatch(new RegExp(`decision\\.saved\\s+${receiver.delivered('decision.saved')[0]!.body.id}\\s+delivered\\s+1\\s+200\\s+-\\s+-`));

    const ping = await cli('webhook', 'ping', id!, '--project', 'wh');
    expect(ping.stdout).toMatch(/^queued ping [0-9a-f-]{36} \(delivery \d+\)/);
    await waitFor('the ping', () => receiver.delivered('webhook.ping').length === 1);

    const deleted = await cli('webhook', 'delete', id!, '--project', 'wh');
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted webhook ${id} (${receiver.url})\n` });
    expect((await cli('webhook', 'list', '--project', 'wh')).stdout).toBe('(none)\n');
    const again = await cli('webhook', 'delete', id!, '--project', 'wh');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/has no webhook/);
  });

  it('prints a generated secret once, and refuses unknown events and private URLs with a clear message', async () => {
    const generated = await cli('webhook', 'create', '--project', 'wh', '--url', receiver.url, '--events', '*');
    expect(generated.code).toBe(0);
    expect(generated.stdout.split('\n')[1]).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generated.stderr).toMatch(/shown once/);

    // The server's URL before the command, the webhook's after it.
    const both = await runCli(['--url', server.url, 'webhook', 'create', '--project', 'wh', '--url', receiver.url, '--events', 'release.created', '--secret', 'cli-secret-0123456789'], {
      url: 'http://127.0.0.1:1',
      token: server.adminToken,
    });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toContain(`release.created -> ${receiver.url}`);

    const unknown = await cli('webhook', 'create', '--project', 'wh', '--url', receiver.url, '--events', 'decision.saved,release.cut');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown event type 'release\.cut'; known: decision\.saved, release\.created/);

    const privateUrl = await cli('webhook', 'create', '--project', 'wh', '--url', 'http://192.168.0.10/hook', '--events', '*');
    expect(privateUrl.code).toBe(1);
    expect(privateUrl.stderr).toMatch(/webhook URL refused: 192\.168\.0\.10 is not a public address .* VERDICT_WEBHOOK_ALLOW_HOSTS/);

    const help = (await cli('webhook', 'create', '--help')).stdout;
    expect(help).toContain('node.out-of-sync');
    expect(help).toMatch(/Verdict-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>\.<raw body>">/);
  });

  it('example receiver: verifies real deliveries, forwards each event once to GitHub as repository_dispatch, refuses forgeries', async () => {
    const dispatches: { headers: http.IncomingHttpHeaders; path: string; body: any }[] = [];
    const github = await listen((request, response) => {
      let text = '';
      request.on('data', (c: Buffer) => (text += c.toString()));
      request.on('end', () => {
        dispatches.push({ headers: request.headers, path: request.url ?? '', body: JSON.parse(text) });
        response.writeHead(204).end();
      });
    });
    const secret = 'example-secret-0123456789';
    const handler = example.createReceiver({ secret, forward: example.githubDispatch({ token: 'ghp_test', repository: 'acme/rules', apiUrl: github.url }) });
    const seen: { headers: http.IncomingHttpHeaders; raw: Buffer }[] = [];
    const gateway = await listen((request, response) => {
      // Keeps a copy of what Verdict sent (to replay it below), then hands the example the same bytes.
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        seen.push({ headers: request.headers, raw });
        const copy = Object.assign(Readable.from([raw]), { method: request.method, headers: request.headers }) as unknown as http.IncomingMessage;
        void handler(copy, response);
      });
    });
    try {
      expect((await cli('project', 'create', 'gh')).code).toBe(0);
      const hook = await server.request('POST', '/api/projects/gh/webhooks', { body: { url: `${gateway.url}/verdict`, events: ['release.created'], secret } });
      expect(hook.status).toBe(201);
      expect((await server.request('PUT', '/api/projects/gh/decisions/calc', { body: { content: expressionGraph({ v: "'one'" }) } })).status).toBe(201);
      expect((await server.request('POST', '/api/projects/gh/releases', { body: {} })).status).toBe(201);

      await waitFor('the dispatch to GitHub', () => dispatches.length === 1);
      expect(dispatches[0]!.path).toBe('/repos/acme/rules/dispatches');
      expect(dispatches[0]!.headers.authorization).toBe('Bearer ghp_test');
      expect(dispatches[0]!.body).toMatchObject({ event_type: 'release.created', client_payload: { project: 'gh', data: { label: 'v1' } } });
      await waitFor('Verdict to record the delivery', async () => (await server.request('GET', `/api/projects/gh/webhooks/${hook.body.id}/deliveries`)).body[0]?.status === 'delivered');
      await waitFor('the copy of the request', () => seen.length === 1);
      const eventId = dispatches[0]!.body.client_payload.id;
      expect(seen[0]!.headers['verdict-event-id']).toBe(eventId);

      // The same delivery again (Verdict retrying after a lost answer): not forwarded twice.
      const replay = await fetch(`${gateway.url}/verdict`, { method: 'POST', headers: { 'verdict-signature': seen[0]!.headers['verdict-signature'] as string }, body: seen[0]!.raw });
      expect(replay.status).toBe(200);
      expect(await replay.text()).toMatch(/duplicate/);
      // A forged one: refused.
      const forged = await fetch(`${gateway.url}/verdict`, { method: 'POST', headers: { 'verdict-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }, body: seen[0]!.raw });
      expect(forged.status).toBe(401);
      expect(dispatches).toHaveLength(1);
    } finally {
      await gateway.close();
      await github.close();
    }
  });
});
