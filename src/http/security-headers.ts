import type { FastifyReply } from 'fastify';

/**
 * Sent with every answer. The API serves JSON, never pages: nothing it returns may be sniffed
 * into HTML, framed (clickjacking) or run as script, and no URL of it (which may name projects
 * and decisions) leaks to another site through a Referer.
 */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

export function setSecurityHeaders(reply: FastifyReply): void {
  reply.headers(SECURITY_HEADERS);
}

/**
 * The Swagger UI at /docs is the one page: its own scripts, styles and images, the inline styles
 * its React components set, and fetches of the OpenAPI document and "try it out" calls to the
 * same origin. Still never framed. (No `upgrade-insecure-requests`: Verdict often runs on plain
 * HTTP on an internal address, where upgraded asset URLs would not load.)
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/** Answers holding secrets or private data must not be kept by browsers or proxies. */
export function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}
