// A Verdict webhook receiver that starts GitHub Actions workflows: every verified event becomes a
// `repository_dispatch` of the repository named by GITHUB_REPOSITORY. Node.js 20+, no dependencies.
//
//   VERDICT_WEBHOOK_SECRET=whsec_... GITHUB_TOKEN=github_pat_... GITHUB_REPOSITORY=owner/repo node server.js
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { verifyVerdictSignature } from './verify.js';

const MAX_BODY_BYTES = 1024 * 1024;
const REMEMBERED_EVENTS = 1000;

/**
 * The receiver as a request handler. `forward(event)` is called once per event id (Verdict
 * delivers at least once: a retry after a lost answer, or after a failover, carries the same id).
 */
export function createReceiver({ secret, forward }) {
  const seen = new Set();
  return async (request, response) => {
    const answer = (status, text) => response.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
    if (request.method !== 'POST') return answer(405, 'POST only');
    const chunks = [];
    let size = 0;
    for await (const chunk of request) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return answer(413, 'too large');
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);
    if (!verifyVerdictSignature(secret, request.headers['verdict-signature'], raw)) return answer(401, 'bad signature');
    const event = JSON.parse(raw.toString('utf8'));
    if (seen.has(event.id)) return answer(200, 'duplicate, already forwarded');
    try {
      await forward(event);
    } catch (error) {
      // Not 2xx: Verdict tries again later.
      return answer(502, `forwarding failed: ${error.message}`);
    }
    seen.add(event.id);
    if (seen.size > REMEMBERED_EVENTS) seen.delete(seen.values().next().value);
    return answer(200, 'forwarded');
  };
}

/** POST /repos/{owner}/{repo}/dispatches: `event_type` is the Verdict event type (deployment.done...). */
export function githubDispatch({ token, repository, apiUrl = 'https://api.github.com' }) {
  return async (event) => {
    const response = await fetch(`${apiUrl}/repos/${repository}/dispatches`, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        'content-type': 'application/json',
        'user-agent': 'verdict-webhook-receiver',
      },
      body: JSON.stringify({
        event_type: event.type,
        client_payload: { id: event.id, project: event.project, createdAt: event.createdAt, data: event.data },
      }),
      signal: AbortSignal.timeout(8000),
    });
    if (response.status !== 204) throw new Error(`GitHub answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  };
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const handler = createReceiver({
    secret: required('VERDICT_WEBHOOK_SECRET'),
    forward: githubDispatch({ token: required('GITHUB_TOKEN'), repository: required('GITHUB_REPOSITORY'), apiUrl: process.env.GITHUB_API_URL }),
  });
  const port = Number(process.env.PORT ?? 3000);
  http.createServer((request, response) => void handler(request, response)).listen(port, process.env.HOST ?? '127.0.0.1', () => {
    process.stdout.write(`listening on ${process.env.HOST ?? '127.0.0.1'}:${port}\n`);
  });
}
