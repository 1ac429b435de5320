import fc from 'fast-check';
import type { Role } from '../../../src/control-plane/api-tokens/roles.js';
import type { Seed } from '../harness/seed.js';
import { HOSTILE_STRINGS, hugeString, sometimes } from './json.js';

export type Headers = Record<string, string | string[]>;

/**
 * encodeURIComponent that also takes lone surrogates (it throws on them): they become the bytes
 * WTF-8 would give them (%ED%A0%80), which are not UTF-8, so the server gets those too.
 */
export function encodeText(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${(0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** UTF-8 bytes in a header value, as Node's client sends them (it takes latin1 strings). */
export const utf8Header = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Authorization headers that are wrong in some way, and other tokens in the wrong place. */
export function hostileApiAuth(seed: Seed): fc.Arbitrary<Headers> {
  const admin = seed.apiTokens.admin;
  const evalToken = seed.environments[0]!.token;
  return fc.oneof(
    fc.constantFrom<Headers>(
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: `bearer ${admin}` },
      { authorization: `BEARER    ${admin}   ` },
      { authorization: `Basic ${Buffer.from(`admin:${admin}`).toString('base64')}` },
      { authorization: `Bearer ${admin} extra` },
      { authorization: `Bearer ${admin},Bearer ${admin}` },
      { authorization: `Bearer ${seed.revokedApiToken}` },
      { authorization: `Bearer ${evalToken}` },
      { authorization: `Bearer ${admin.slice(0, -1)}` },
      { authorization: `Bearer ${admin}x` },
      { authorization: `Bearer ${'A'.repeat(10 * 1024)}` },
      { authorization: `Bearer vrd_api_${'x'.repeat(15 * 1024)}` },
      { authorization: `Bearer ${utf8Header('vrd_api_é😀')}` },
      { authorization: `Bearer ${utf8Header('\u0085\u00a0')}` },
      { authorization: [`Bearer ${seed.apiTokens.viewer}`, `Bearer ${admin}`] },
      { authorization: `Bearer\t${admin}` },
      { 'x-access-token': admin },
      { authorization: `Bearer ${admin}`, 'x-access-token': evalToken },
      { authorization: `Token ${admin}` },
      { authorization: `Bearer "${admin}"` },
    ),
    fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => ({ authorization: `Bearer ${s}` })),
  );
}

/** Mostly a valid API token of some role, sometimes a hostile Authorization. */
export function apiAuth(seed: Seed, roles: readonly Role[] = ['admin', 'editor', 'deployer', 'viewer']): fc.Arbitrary<Headers> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...roles).map((r) => ({ authorization: `Bearer ${seed.apiTokens[r]}` })), weight: 14 },
    { arbitrary: fc.constantFrom<Role>('admin', 'editor', 'deployer', 'viewer').map((r) => ({ authorization: `Bearer ${seed.apiTokens[r]}` })), weight: 2 },
    { arbitrary: hostileApiAuth(seed), weight: 1 },
  );
}

/** X-Access-Token for an environment: mostly its own, sometimes another's, revoked, huge, missing. */
export function evalAuth(seed: Seed, own: string): fc.Arbitrary<Headers> {
  const others = seed.environments.map((e) => e.token).filter((t) => t !== own);
  return fc.oneof(
    { arbitrary: fc.constant<Headers>({ 'x-access-token': own }), weight: 20 },
    { arbitrary: fc.constantFrom(...others).map((t) => ({ 'x-access-token': t })), weight: 1 },
    {
      arbitrary: fc.constantFrom<Headers>(
        {},
        { 'x-access-token': '' },
        { 'x-access-token': seed.revokedEvalToken },
        { 'x-access-token': `${own}x` },
        { 'x-access-token': own.toUpperCase() },
        { 'x-access-token': ` ${own}` },
        { 'x-access-token': 'T'.repeat(10 * 1024) },
        { 'x-access-token': 'T'.repeat(257) },
        { 'x-access-token': utf8Header('vrd_eval_é😀') },
        { 'x-access-token': [own, seed.revokedEvalToken] },
        { 'x-access-token': seed.apiTokens.admin },
        { authorization: `Bearer ${own}` },
        { authorization: `Bearer ${seed.apiTokens.admin}` },
      ),
      weight: 2,
    },
  );
}

/** A path segment: usually one of `valid` (URL-encoded), sometimes something hostile. */
export function segment(valid: readonly string[]): fc.Arbitrary<string> {
  const options: fc.WeightedArbitrary<string>[] = [{ arbitrary: hostileSegment, weight: 1 }];
  if (valid.length) options.push({ arbitrary: fc.constantFrom(...valid).map(encodeURIComponent), weight: 6 });
  return fc.oneof(...options);
}

/** Percent-encoded text that decodes to trouble, or does not decode at all. */
export const RAW_SEGMENTS = ['%', '%zz', '%E0%A4%A', '%00', '%ED%A0%80', '%C0%AF', '%FF', '..', '.', '%2e%2e', '%2F', 'a%2F..%2F..%2Fb', '%252F', '~', "'", '$'] as const;

export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...RAW_SEGMENTS),
  fc.constantFrom(...HOSTILE_STRINGS).filter((s) => s !== '').map(encodeText),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map(encodeText),
  fc.integer({ min: 60, max: 260 }).map((n) => 'a'.repeat(n)),
  hugeString(20_000).map((s) => encodeText(s.slice(0, 20_000))),
);

/** Query values: plausible ones, numbers in odd spellings, hostile text. */
export const HOSTILE_QUERY_VALUES = [
  '',
  ' ',
  '-0',
  '0',
  '-1',
  '1.5',
  '1e309',
  '1e3',
  '0x10',
  '9007199254740993',
  '99999999999999999999999',
  'NaN',
  'Infinity',
  'true',
  'TRUE',
  'yes',
  'null',
  'undefined',
  '[]',
  '{}',
  '%00',
  '%ED%A0%80',
  '%',
  '%zz',
  '..%2F..',
  '2024-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:60Z',
  '2026-01-01',
  '2026-01-01T00:00:00+25:00',
] as const;

export const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_QUERY_VALUES), weight: 4 },
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS).map(encodeText), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeText), weight: 1 },
  { arbitrary: hugeString(12_000).map((s) => encodeText(s.slice(0, 12_000))), weight: 1 },
);

/**
 * A query string for a route: each parameter present or not, with a plausible or hostile value,
 * sometimes repeated, plus stray parameters (prototype names, tokens in the URL).
 */
export function queryString(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const names = Object.keys(params);
  const one = (name: string) =>
    sometimes(
      fc.oneof({ arbitrary: params[name]!.map(encodeText), weight: 3 }, { arbitrary: hostileQueryValue, weight: 1 }).map((v) => `${encodeURIComponent(name)}=${v}`),
      2,
    );
  const stray = sometimes(
    fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'constructor[prototype][x]', '__proto__[polluted]', 'a[]', 'token', 'access_token', 'api_key', '', '%00', 'x'.repeat(300)),
        hostileQueryValue,
      )
      .map(([n, v]) => `${n}=${v}`),
    6,
  );
  return fc
    .tuple(fc.tuple(...names.map(one)), stray, sometimes(fc.constantFrom(...(names.length ? names : ['x'])), 5), sometimes(hostileQueryValue, 8))
    .map(([parts, strayPart, repeated, repeatValue]) => {
      const all = parts.filter((p): p is string => p !== null);
      if (strayPart) all.push(strayPart);
      if (repeated !== null && repeatValue !== null) all.push(`${encodeURIComponent(repeated)}=${repeatValue}`);
      return all.length ? `?${all.join('&')}` : '';
    });
}

/** Content types a body may be sent with, mostly the right one. */
export function contentType(right: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { arbitrary: fc.constant(right), weight: 20 },
    {
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        'text/plain',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json;charset=UTF-8',
        'APPLICATION/JSON',
        'application/zip',
        'application/octet-stream',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/problem+json',
        'application/json, application/zip',
        '',
        '*/*',
        'application/vnd.api+json',
      ),
      weight: 1,
    },
  );
}

/** Headers every request may carry: request ids, idempotency keys, noise. */
export const extraHeaders: fc.Arbitrary<Headers> = fc
  .tuple(
    sometimes(fc.oneof(fc.constantFrom('fuzz-req-1', 'a'.repeat(128), 'a'.repeat(129), '', 'has space', utf8Header('é'), '../x', 'x;y'), fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/)), 4),
    sometimes(fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'k'.repeat(200), 'k'.repeat(201), '', 'bad key', utf8Header('ключ')), 6),
    sometimes(fc.constantFrom('accept', 'accept-encoding', 'x-forwarded-for', 'origin', 'cookie', 'range', 'if-none-match', 'expect', 'x-http-method-override'), 4),
    fc.oneof(fc.constantFrom('*/*', 'gzip', '127.0.0.1, ::1', 'null', 'bytes=0-10', '100-continue', 'DELETE', ''), hugeString(8000)),
  )
  .map(([requestId, idempotencyKey, name, value]) => {
    const headers: Headers = {};
    if (requestId !== null) headers['x-request-id'] = requestId;
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
    if (name !== null && value !== null) headers[name] = name === 'expect' && value !== '100-continue' ? '100-continue' : value;
    return headers;
  });

/** Headers that no server should take: 20 KB and 70 KB values, hundreds of headers. */
export const hugeHeaders: fc.Arbitrary<Headers> = fc.oneof(
  fc.integer({ min: 15_000, max: 70_000 }).map((n) => ({ 'x-fuzz': 'h'.repeat(n) })),
  fc.integer({ min: 100, max: 600 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-fuzz-${i}`, 'v'.repeat(40)]))),
);
