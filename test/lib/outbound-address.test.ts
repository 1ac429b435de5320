import { describe, expect, it } from 'vitest';
import { isNonPublicAddress, OutboundRefused, resolveOutbound, type OutboundPolicy } from '../../src/lib/outbound-address.js';
import { isHostAllowed } from '../../src/lib/outbound-hosts.js';
import { sendDelivery } from '../../src/control-plane/webhooks/sender.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

/** DNS as the test says it is. */
const dns = (answers: Record<string, string[]>) => async (hostname: string) => {
  const found = answers[hostname];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const policy = (allowHosts: string[], answers: Record<string, string[]> = {}): OutboundPolicy => ({ allowHosts, setting: 'VERDICT_WEBHOOK_ALLOW_HOSTS', resolve: dns(answers) });

describe('outbound address policy', () => {
  it('knows which addresses are not the public internet', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isNonPublicAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isNonPublicAddress(a), a).toBe(false);
  });

  it('refuses private addresses, also behind a name, unless the host is listed (any port of it)', async () => {
    await expect(resolveOutbound('http://127.0.0.1:9999/x', policy([]))).rejects.toThrow(/127\.0\.0\.1 is not a public address .* VERDICT_WEBHOOK_ALLOW_HOSTS/);
    await expect(resolveOutbound('https://internal.example/x', policy([], { 'internal.example': ['10.0.0.5'] }))).rejects.toThrow(/resolves to 10\.0\.0\.5/);
    // One private address among public ones is enough to refuse (it could be the one connected to).
    await expect(resolveOutbound('https://mixed.example/x', policy([], { 'mixed.example': ['93.184.216.34', '192.168.0.2'] }))).rejects.toThrow(OutboundRefused);
    await expect(resolveOutbound('https://nowhere.example/x', policy([]))).rejects.toThrow(/cannot be resolved \(ENOTFOUND\)/);
    await expect(resolveOutbound('http://127.0.0.1:9999/x', policy(['127.0.0.1']))).resolves.toMatchObject({ address: '127.0.0.1', family: 4 });
    await expect(resolveOutbound('http://127.0.0.1:9999/x', policy(['127.0.0.1:8000']))).rejects.toThrow(OutboundRefused);
    await expect(resolveOutbound('https://hooks.example.com/x', policy([], { 'hooks.example.com': ['93.184.216.34'] }))).resolves.toMatchObject({ address: '93.184.216.34' });
  });

  it('keeps the function-node rule: a host without a port allows only the default port', () => {
    expect(isHostAllowed(['api.example.com'], new URL('https://api.example.com/x'))).toBe(true);
    expect(isHostAllowed(['api.example.com'], new URL('https://api.example.com:8443/x'))).toBe(false);
    expect(isHostAllowed(['api.example.com'], new URL('https://api.example.com:8443/x'), 'any-port')).toBe(true);
    expect(isHostAllowed(['*.example.com:8443'], new URL('https://a.example.com:8443/x'))).toBe(true);
  });

  it('checks the URL again at delivery time and connects to the address it checked', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const delivery = { url: `http://hooks.test:${receiver.port}/in`, headers: { 'content-type': 'application/json' }, body: '{"id":"x","type":"webhook.ping"}' };
      // The name resolves (in this test's DNS) to loopback: refused without the allow-list, nothing sent.
      const refused = await sendDelivery(delivery, policy([], { 'hooks.test': ['127.0.0.1'] }), 2000);
      expect(refused).toMatchObject({ delivered: false, statusCode: null, error: expect.stringMatching(/^refused: hooks\.test resolves to 127\.0\.0\.1/) });
      expect(receiver.received).toHaveLength(0);
      // Allowed: the connection goes to the checked address (the real DNS knows no hooks.test).
      const sent = await sendDelivery(delivery, policy(['hooks.test'], { 'hooks.test': ['127.0.0.1'] }), 2000);
      expect(sent).toMatchObject({ delivered: true, statusCode: 200, error: null, responseSnippet: 'thanks' });
      expect(receiver.received[0]!.headers.host).toBe(`hooks.test:${receiver.port}`);
    } finally {
      await receiver.close();
    }
  });
});
