import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { AppError } from '../errors.js';
import { MAX_PARAM_LENGTH } from '../lib/url-limits.js';

/** Where `npm run build -w web` writes the console: web/dist, from src/console or dist/console alike. */
export const DEFAULT_ASSETS_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * The console is a page of its own: scripts, styles, fonts, Monaco's workers and the expression
 * engine's WebAssembly from this origin only (no CDN), inline styles (Ant Design's CSS-in-JS) and
 * calls to this API. Never framed.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data: blob:",
  "object-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
].join('; ');

/** Paths that belong to the API and its documents: never answered with the console's page. */
const SERVER_PATHS = /^\/(?:api|openapi\.json|health|metrics|docs)(?:[/?.]|$)/;

/** Vite names every built asset under assets/ by its content hash: such a URL never changes content. */
const HASHED = /^\/assets\//;

export interface ConsoleAssetsOptions {
  readonly root?: string;
}

/**
 * Serves the built console at `/`, from the API's own port. Hashed assets are cached for a year;
 * index.html is revalidated every time, so a new release of Verdict is picked up at the next load.
 * Any other GET a browser makes for a page (deep links such as /projects/p/decisions/k) gets
 * index.html and the client-side router takes over; API paths and non-browser callers keep the
 * API's 404 problem document.
 */
export const consoleAssets: FastifyPluginAsync<ConsoleAssetsOptions> = async (app, options) => {
  const root = options.root ?? DEFAULT_ASSETS_ROOT;
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'web console not built (npm run build -w web): GET / answers 404');
    return;
  }

  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400) {
      reply.header('cache-control', HASHED.test(request.url) ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY);
    }
    return payload;
  });

  // Only the files present at start are routed (no wildcard): nothing else under the root is reachable.
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: false, cacheControl: false, etag: true, lastModified: true });

  const page = (_request: FastifyRequest, reply: FastifyReply) => reply.sendFile('index.html');
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    const path = request.url.split('?')[0]!;
    // This catch-all is also where the router falls back when an API route's parameter is too
    // long to match: answer that as the router would have (414), not as an unknown route.
    if (SERVER_PATHS.test(path) && path.split('/').some((part) => part.length > MAX_PARAM_LENGTH)) {
      throw new AppError('uri-too-long', `a part of the URL is longer than ${MAX_PARAM_LENGTH} characters`);
    }
    if (SERVER_PATHS.test(path) || !(request.headers.accept ?? '').includes('text/html')) return reply.callNotFound();
    return page(request, reply);
  });
};
