/**
 * The baseline: the least a server can do to evaluate a decision over HTTP. Fastify plus one
 * ZenEngine with cached ZenDecision objects; no auth, no metrics, no validation beyond JSON.
 * Usage: node --import tsx bench/bare-server.ts key=file.json ...  (PORT from the environment)
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { ZenEngine } from '@gorules/zen-engine';

const engine = new ZenEngine();
const decisions = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, file] = arg.split('=') as [string, string];
    return [key, engine.createDecision(JSON.parse(readFileSync(file, 'utf8')))];
  }),
);
const app = Fastify({ logger: false });
app.post<{ Params: { key: string }; Body: { context: unknown } }>('/evaluate/:key', async (request, reply) => {
  const decision = decisions.get(request.params.key);
  if (!decision) return reply.status(404).send({ error: 'not found' });
  const response = await decision.evaluate(request.body.context);
  return { result: response.result, performance: response.performance };
});
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`bare server ready at ${address}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
