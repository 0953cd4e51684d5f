/**
 * One signing key of the broker, as stored (`token.signing_keys`) and as held in memory.
 * The private key leaves this file only as an AES-256-GCM envelope bound to its `kid`
 * (`signing_key:<kid>`), so a ciphertext copied to another row does not decrypt.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { decryptSecretToBuffer, encryptSecret } from '@trust-broker/secrets';
import { isBrokerSigningAlgorithm, type BrokerSigningAlgorithm } from '@trust-broker/validation';
import { generateKeyPairFor } from './generate-key-pair';
import { SigningKeyError } from './signing-keys.errors';

export type SigningKeyStatus = 'next' | 'active' | 'retired';

export interface SigningKeyRow {
  kid: string;
  alg: BrokerSigningAlgorithm;
  public_jwk: PublicSigningJwk;
  private_ciphertext: string;
  status: SigningKeyStatus;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  expires_at: Date | null;
}

export interface PublicSigningJwk {
  kid: string;
  alg: BrokerSigningAlgorithm;
  use: 'sig';
  kty: string;
  [member: string]: unknown;
}

/** A key ready to use: the private key imported once, the JWS header encoded once. */
export interface LoadedSigningKey {
  kid: string;
  alg: BrokerSigningAlgorithm;
  status: SigningKeyStatus;
  publicJwk: PublicSigningJwk;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** base64url of `{"alg","kid","typ":"at+jwt"}`, followed by the `.` separator. */
  encodedHeaderPrefix: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

export function signingKeyAad(kid: string): string {
  return `signing_key:${kid}`;
}

/** Generates a key pair and its row (status `next` unless told), the private part encrypted. */
export async function generateSigningKeyRow(
  alg: BrokerSigningAlgorithm,
  keyEncryptionKey: Buffer,
  status: SigningKeyStatus,
  now: Date,
): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = await generateKeyPairFor(alg);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  // RFC 7638 thumbprint: a kid derived from the key itself never collides by accident.
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    alg,
    public_jwk: { ...jwk, kid, alg, use: 'sig' } as PublicSigningJwk,
    private_ciphertext: encryptSecret(keyEncryptionKey, pkcs8, signingKeyAad(kid)),
    status,
    created_at: now,
    activated_at: status === 'active' ? now : null,
    retired_at: null,
    expires_at: null,
  };
}

/** Imports a stored row: decrypts the private key (throws `SigningKeyError` if it does not decrypt). */
export function loadSigningKey(row: SigningKeyRow, keyEncryptionKey: Buffer): LoadedSigningKey {
  if (!isBrokerSigningAlgorithm(row.alg)) {
    throw new SigningKeyError('signing_key_undecryptable', `signing key ${row.kid} has an unsupported alg`);
  }
  let privateKey: KeyObject;
  try {
    const pkcs8 = decryptSecretToBuffer(keyEncryptionKey, row.private_ciphertext, signingKeyAad(row.kid));
    privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new SigningKeyError(
      'signing_key_undecryptable',
      `signing key ${row.kid} does not decrypt with this KEY_ENCRYPTION_KEY`,
      { cause },
    );
  }
  const header = { alg: row.alg, kid: row.kid, typ: 'at+jwt' };
  return {
    kid: row.kid,
    alg: row.alg,
    status: row.status,
    publicJwk: row.public_jwk,
    publicKey: createPublicKey(privateKey),
    privateKey,
    encodedHeaderPrefix: `${Buffer.from(JSON.stringify(header)).toString('base64url')}.`,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
    expiresAt: row.expires_at,
  };
}
