import { randomBytes } from 'node:crypto';
import { sha256Hex } from './hash.js';

/** 'sso': a web console session of someone who signed in through single sign-on (cookie only). */
export type SecretKind = 'api' | 'eval' | 'sso';

export const SECRET_PREFIX: Record<SecretKind, string> = { api: 'vrd_api_', eval: 'vrd_eval_', sso: 'vrd_sso_' };

export interface NewSecret {
  /** Shown to the user once, never stored. */
  readonly token: string;
  /** What is stored: tokens carry 256 random bits, so a plain SHA-256 is enough (no slow KDF needed). */
  readonly hash: string;
  /** Safe to display and store, to recognise a token in lists. */
  readonly prefix: string;
}

export function newSecret(kind: SecretKind): NewSecret {
  const token = SECRET_PREFIX[kind] + randomBytes(32).toString('base64url');
  return { token, hash: hashSecret(token), prefix: displayPrefix(token) };
}

export function hashSecret(token: string): string {
  return sha256Hex(token);
}

/** Our own tokens show their kind and 4 random characters; any other secret (a configured admin token) shows nothing. */
export function displayPrefix(token: string): string {
  const match = /^(vrd_(?:api|eval)_)(.{4})/.exec(token);
  return match ? `${match[1]}${match[2]}…` : '(configured)';
}
