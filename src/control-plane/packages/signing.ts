import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KeyPairPem {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly keyId: string;
}

/** A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its DER form. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function generateSigningKeys(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyId(publicKey),
  };
}

export function loadPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 private key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Ed25519 signatures are deterministic: signing the same manifest twice gives the same bytes. */
export function signManifest(manifest: Buffer, privateKey: KeyObject): { keyId: string; signature: string } {
  return { keyId: keyId(createPublicKey(privateKey)), signature: sign(null, manifest, privateKey).toString('base64') };
}

export function verifyManifest(manifest: Buffer, signature: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, manifest, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Trusted public keys by key id, from PEM files (VERDICT_TRUSTED_KEYS: comma-separated paths). */
export function loadTrustedKeys(paths: readonly string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const path of paths) {
    const key = createPublicKey(readFileSync(path, 'utf8'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is not an Ed25519 public key`);
    keys.set(keyId(key), key);
  }
  return keys;
}
