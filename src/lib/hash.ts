import { createHash } from 'node:crypto';
import { canonicalJsonText } from './canonical-json.js';
import { findUnrepresentable, UnrepresentableValueError } from './json-values.js';

/** SHA-256 of the parts, fed in order (no concatenated copy of large buffers). */
export function sha256Hex(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** RFC 8785 canonical JSON: the same document always hashes the same, whatever its key order (and however deep it is). */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalJsonText(value);
  } catch (error) {
    // Infinity (from 1e309 in JSON text) or a lone surrogate: the input's fault, so say where it is.
    const fault = findUnrepresentable(value, { allowNul: true });
    if (fault) throw new UnrepresentableValueError(fault);
    throw error;
  }
  if (text === undefined) throw new TypeError('value cannot be represented as JSON');
  return text;
}

export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
