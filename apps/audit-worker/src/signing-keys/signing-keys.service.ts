/**
 * The Ed25519 keys that sign checkpoints. The worker signs with AUDIT_SIGNING_KEY or,
 * without one, with a key generated at first start and stored encrypted under
 * KEY_ENCRYPTION_KEY (replicas share it). Every key row carries a seal (its public JWK
 * encrypted under KEY_ENCRYPTION_KEY, bound to its kid), so a key row slipped into the
 * table by someone without that key is never trusted by verify nor published.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { DataSource } from 'typeorm';
import { advisoryLockKey } from '@trust-broker/service-kit/database';
import { decryptSecret, encryptSecret } from '@trust-broker/secrets';

export interface PublicSigningKey {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

interface SigningKeyRow {
  kid: string;
  public_jwk: PublicSigningKey;
  sealed: string;
  private_key_encrypted: string | null;
}

export interface ActiveSigningKey {
  kid: string;
  privateKey: KeyObject;
}

/** RFC 7638 thumbprint of an Ed25519 public key. */
export function thumbprint(x: string): string {
  return createHash('sha256').update(canonicalize({ crv: 'Ed25519', kty: 'OKP', x })!).digest('base64url');
}

export function publicJwkOf(privateKey: KeyObject): PublicSigningKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JsonWebKey;
  const x = String(jwk.x);
  return { kty: 'OKP', crv: 'Ed25519', x, kid: thumbprint(x), alg: 'EdDSA', use: 'sig' };
}

const sealContext = (kid: string) => `audit-signing-key:${kid}`;
const privateContext = (kid: string) => `audit-signing-key-private:${kid}`;

export class SigningKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keyEncryptionKey: Buffer,
  ) {}

  /** Loads (or registers, or generates) the key this worker signs with. */
  async loadActiveKey(configured: KeyObject | undefined): Promise<ActiveSigningKey> {
    return this.dataSource.transaction(async (manager) => {
      // Replicas starting together must not each generate a key.
      await manager.query(`SELECT pg_advisory_xact_lock(${advisoryLockKey('trust-broker:audit:signing-key')})`);
      if (configured) {
        const jwk = publicJwkOf(configured);
        await manager.query(
          `INSERT INTO audit.signing_keys (kid, public_jwk, sealed) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING`,
          [jwk.kid, JSON.stringify(jwk), this.seal(jwk)],
        );
        return { kid: jwk.kid, privateKey: configured };
      }
      const stored: SigningKeyRow[] = await manager.query(
        `SELECT kid, public_jwk, sealed, private_key_encrypted FROM audit.signing_keys
          WHERE private_key_encrypted IS NOT NULL ORDER BY created_at DESC`,
      );
      for (const row of stored) {
        const privateKey = this.openPrivateKey(row);
        if (privateKey) return { kid: row.kid, privateKey };
      }
      const { privateKey } = generateKeyPairSync('ed25519');
      const jwk = publicJwkOf(privateKey);
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await manager.query(
        `INSERT INTO audit.signing_keys (kid, public_jwk, sealed, private_key_encrypted) VALUES ($1, $2, $3, $4)`,
        [jwk.kid, JSON.stringify(jwk), this.seal(jwk), encryptSecret(this.keyEncryptionKey, pem, privateContext(jwk.kid))],
      );
      return { kid: jwk.kid, privateKey };
    });
  }

  /** The public keys whose seal is intact, by kid. */
  async trustedKeys(): Promise<Map<string, { jwk: PublicSigningKey; key: KeyObject }>> {
    const rows: SigningKeyRow[] = await this.dataSource.query(
      `SELECT kid, public_jwk, sealed, private_key_encrypted FROM audit.signing_keys ORDER BY created_at`,
    );
    const trusted = new Map<string, { jwk: PublicSigningKey; key: KeyObject }>();
    for (const row of rows) {
      if (!this.isSealIntact(row)) continue;
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: row.public_jwk.x }, format: 'jwk' });
      trusted.set(row.kid, { jwk: row.public_jwk, key });
    }
    return trusted;
  }

  private seal(jwk: PublicSigningKey): string {
    return encryptSecret(this.keyEncryptionKey, canonicalize(jwk)!, sealContext(jwk.kid));
  }

  private isSealIntact(row: SigningKeyRow): boolean {
    try {
      const sealedJwk = decryptSecret(this.keyEncryptionKey, row.sealed, sealContext(row.kid));
      return sealedJwk === canonicalize(row.public_jwk) && thumbprint(row.public_jwk.x) === row.kid;
    } catch {
      return false;
    }
  }

  private openPrivateKey(row: SigningKeyRow): KeyObject | undefined {
    if (!row.private_key_encrypted || !this.isSealIntact(row)) return undefined;
    try {
      const privateKey = createPrivateKey(decryptSecret(this.keyEncryptionKey, row.private_key_encrypted, privateContext(row.kid)));
      return publicJwkOf(privateKey).kid === row.kid ? privateKey : undefined;
    } catch {
      return undefined; // stored under another KEY_ENCRYPTION_KEY
    }
  }
}
