import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 8785 canonical JSON: the same document always hashes the same, whatever its key order. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be represented as JSON');
  return text;
}

export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
