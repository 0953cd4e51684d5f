/**
 * Secrets at rest and in comparison.
 *
 * - `encryptSecret` / `decryptSecret`: AES-256-GCM under `KEY_ENCRYPTION_KEY` (32 bytes),
 *   a random 96-bit IV per value, and additional authenticated data that binds the
 *   ciphertext to what it protects (`client_secret:<client_id>`), so a ciphertext copied
 *   to another row does not decrypt. Format: `v1.<iv>.<ciphertext>.<tag>` (base64url).
 * - `constantTimeEqual`: compares secrets without leaking where they differ.
 * - `generateSecret`: 256 bits from the CSPRNG, base64url.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

export class SecretDecryptionError extends Error {
  readonly code = 'secret_decryption_failed';
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/** Parses a base64 (or base64url) `KEY_ENCRYPTION_KEY`; throws unless it is exactly 32 bytes. */
export function parseKeyEncryptionKey(value: string): Buffer {
  const key = Buffer.from(value.trim(), value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) {
    throw new Error(`KEY_ENCRYPTION_KEY must be 32 bytes encoded in base64 (got ${key.length} bytes)`);
  }
  return key;
}

/** True when `value` is a usable `KEY_ENCRYPTION_KEY`: what the apps' config schemas check. */
export function isKeyEncryptionKey(value: string): boolean {
  try {
    parseKeyEncryptionKey(value);
    return true;
  } catch {
    return false;
  }
}

export function encryptSecret(key: Buffer, plaintext: string | Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
}

export function decryptSecretToBuffer(key: Buffer, envelope: string, aad: string): Buffer {
  const parts = envelope.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new SecretDecryptionError('unrecognised secret envelope');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(parts[2]!, 'base64url')), decipher.final()]);
  } catch (cause) {
    throw new SecretDecryptionError(`secret does not decrypt under this key and context: ${(cause as Error).message}`);
  }
}

export function decryptSecret(key: Buffer, envelope: string, aad: string): string {
  return decryptSecretToBuffer(key, envelope, aad).toString('utf8');
}

/** Compares two secrets in constant time (hashing first, so lengths leak nothing either). */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A new random secret: `bytes` (default 32, i.e. 256 bits) from the CSPRNG, base64url. */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex of a value, for identifiers in logs and audit events (`jti_hash`). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A short fingerprint that names a credential without revealing it (`actor` in audit events). */
export function fingerprint(secret: string): string {
  return sha256Hex(secret).slice(0, 12);
}
