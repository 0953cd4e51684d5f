/** What the signing keys need from the app's configuration (wired in `signing-keys.module.ts`). */
import type { BrokerSigningAlgorithm } from '@trust-broker/validation';

export interface SigningKeysOptions {
  /** `BROKER_ISSUER`: the `iss` of every access token. */
  issuer: string;
  /** `TOKEN_SIGNING_ALG`: the algorithm of newly generated keys. */
  algorithm: BrokerSigningAlgorithm;
  /** `KEY_ENCRYPTION_KEY`, 32 bytes. */
  keyEncryptionKey: Buffer;
  /** `SIGNING_KEY_ROTATION_S`: how long a key stays active. */
  rotationSeconds: number;
  /** How long a `next` key is published before it signs (JWKS caches must see it first). */
  publishAheadSeconds: number;
  /** The longest access-token lifetime: a retired key stays published this long (plus margins). */
  maxAccessTokenTtlSeconds: number;
  /** How often replicas reload keys from Postgres and check the rotation schedule. */
  reloadIntervalMs: number;
  /** Milliseconds since the epoch (tests move it). */
  clock?: () => number;
}

export const SIGNING_KEYS_OPTIONS = Symbol('SIGNING_KEYS_OPTIONS');
/** The DataSource whose connection holds the `token` schema. */
export const SIGNING_KEYS_DATA_SOURCE = Symbol('SIGNING_KEYS_DATA_SOURCE');

/** Defaults for the settings that are not in CONTRACT.md. */
export const SIGNING_KEY_DEFAULTS = {
  rotationSeconds: 30 * 86_400,
  /** The JWKS is served with max-age 300: an hour covers caches and replica reloads many times over. */
  publishAheadSeconds: 3600,
  maxAccessTokenTtlSeconds: 86_400,
  reloadIntervalMs: 30_000,
} as const;
