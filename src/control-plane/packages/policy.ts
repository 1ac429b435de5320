import type { KeyObject } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import { assertNever } from '../../lib/assert-never.js';
import type { CheckedPackage } from './check.js';
import type { Signature } from './format.js';
import { verifyManifest } from './signing.js';

/**
 * Who may bring what into this instance: the keys whose signatures are trusted, whether unsigned
 * packages are accepted, and the refusal an unsigned package meets when it would change decisions
 * its token may not write.
 */
export interface SignaturePolicy {
  readonly trustedKeys: ReadonlyMap<string, KeyObject>;
  readonly requireSigned: boolean;
}

/** The key id that signed the package, after checking it; null for an accepted unsigned package. */
export function checkSignature(pkg: CheckedPackage, policy: SignaturePolicy): string | null {
  switch (pkg.kind) {
    case 'verdict':
      if (pkg.signature) return verifySignature(pkg.manifestBytes, pkg.signature, policy);
      if (policy.requireSigned) {
        throw new AppError(
          'untrusted-package',
          'the package is not signed and this instance requires signatures (VERDICT_REQUIRE_SIGNED_PACKAGES); sign it with verdict release export --sign-key',
        );
      }
      return null;
    case 'gorules':
      if (policy.requireSigned) {
        throw new AppError(
          'untrusted-package',
          'this instance accepts signed Verdict packages only (VERDICT_REQUIRE_SIGNED_PACKAGES); import GoRules zips where that is off, then promote a signed package',
        );
      }
      return null;
    default:
      return assertNever(pkg, 'package kind');
  }
}

function verifySignature(manifestBytes: Buffer, signature: Signature, policy: SignaturePolicy): string {
  const key = policy.trustedKeys.get(signature.keyId);
  if (!key) {
    const trusted = [...policy.trustedKeys.keys()];
    throw new AppError(
      'untrusted-package',
      `the package is signed by key ${signature.keyId}, which this instance does not trust (trusted: ${trusted.length ? trusted.join(', ') : 'none; set VERDICT_TRUSTED_KEYS'})`,
    );
  }
  if (!verifyManifest(manifestBytes, signature.signature, key)) {
    throw new AppError('untrusted-package', `the signature of key ${signature.keyId} does not match the manifest: the package was modified or signed wrongly`);
  }
  return signature.keyId;
}

/** 403 for an unsigned package that would save new decision versions, from a token that may not write decisions. */
export function newContentRefusal(actor: Actor, keys: readonly string[]): AppError {
  const shown = keys.slice(0, 10).map((k) => `'${k}'`).join(', ') + (keys.length > 10 ? ` and ${keys.length - 10} more` : '');
  return new AppError(
    'forbidden',
    `role '${actor.role}' (token '${actor.name}') may apply an unsigned package only if its decisions are already here, and this one would save new versions of ${shown}: ` +
      'sign the package with a key this instance trusts (verdict release export --sign-key; VERDICT_TRUSTED_KEYS), or apply it with a token that may change decisions (editor or admin)',
    { role: actor.role, permission: 'decision:write', decisions: keys.slice(0, 100) },
  );
}
