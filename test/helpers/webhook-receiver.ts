import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  readonly headers: http.IncomingHttpHeaders;
  /** The body exactly as it arrived (what the signature covers). */
  readonly raw: Buffer;
  readonly body: { id: string; type: string; createdAt: string; project: string | null; data: any };
  /** What the receiver answered, and when (epoch ms). */
  readonly status: number;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedDelivery[];
  /** Decides each answer's status code (default 200); `n` counts requests from 1. */
  answer: (n: number, delivery: Omit<ReceivedDelivery, 'status' | 'at'>) => number;
  delivered(type: string): ReceivedDelivery[];
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 that records every delivery. */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received,
    answer: () => 200,
    delivered: (type) => received.filter((d) => d.body.type === type && d.status >= 200 && d.status < 300),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const delivery = { headers: request.headers, raw, body: JSON.parse(raw.toString('utf8')) };
      const status = receiver.answer(received.length + 1, delivery);
      received.push({ ...delivery, status, at: Date.now() });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'thanks' : 'not now');
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  const actual = (server.address() as AddressInfo).port;
  return Object.assign(receiver, { url: `http://127.0.0.1:${actual}/hook`, port: actual });
}
