/**
 * Real keys and parties for the rule-engine tests: trusted issuer A (RSA, EC, Ed25519),
 * issuer B (its own EC key), an attacker's key, a private_key_jwt client and two
 * client_secret_jwt clients (a 32-byte and a 16-byte secret), and a real in-process
 * replay guard (a Map: the package is pure; the Redis guard lives in token-service).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  createStaticKeyResolver,
  DEFAULT_ISSUER_ALGORITHMS,
  hmacCandidateKey,
  importCandidateKeys,
  type CandidateKey,
  type ClientAssertionPolicy,
  type ClientVerificationContext,
  type GrantVerificationContext,
  type ReplayGuard,
  type TrustedIssuerPolicy,
} from '../../src/index';

export const NOW = 1_800_000_000;
export const BROKER = 'https://broker.example';
export const TOKEN_ENDPOINT = `${BROKER}/oauth2/token`;
export const INTROSPECTION_ENDPOINT = `${BROKER}/oauth2/introspect`;
export const ISSUER_A = 'https://idp-a.example';
export const ISSUER_B = 'https://idp-b.example';
export const CLIENT_ID = 'client-1';
export const SECRET_CLIENT_ID = 'secret-client';
export const SHORT_SECRET_CLIENT_ID = 'short-secret-client';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface Keys {
  rsa1: KeyPair;
  rsa2: KeyPair;
  ec: KeyPair;
  ed: KeyPair;
  issuerB: KeyPair;
  attacker: KeyPair;
  clientEc: KeyPair;
  clientEd: KeyPair;
  rsa1024: KeyPair;
  secret: Uint8Array;
  shortSecret: Uint8Array;
}

export function generateKeys(): Keys {
  const rsa = (modulusLength = 2048): KeyPair => generateKeyPairSync('rsa', { modulusLength });
  const ec = (namedCurve = 'P-256'): KeyPair => generateKeyPairSync('ec', { namedCurve });
  const ed = (): KeyPair => generateKeyPairSync('ed25519');
  return {
    rsa1: rsa(),
    rsa2: rsa(),
    ec: ec(),
    ed: ed(),
    issuerB: ec(),
    attacker: ec(),
    clientEc: ec(),
    clientEd: ed(),
    rsa1024: rsa(1024),
    secret: new Uint8Array(randomBytes(64)),
    shortSecret: new Uint8Array(randomBytes(16)),
  };
}

export function publicJwk(pair: KeyPair, extra: Record<string, string> = {}): Record<string, unknown> {
  return { ...pair.publicKey.export({ format: 'jwk' }), ...extra };
}

/** Issuer A's key set: rsa-1 declares alg RS256; rsa-2, ec-1 and ed-1 declare none. */
export async function issuerAKeys(keys: Keys): Promise<CandidateKey[]> {
  return importCandidateKeys({
    keys: [
      publicJwk(keys.rsa1, { kid: 'rsa-1', alg: 'RS256', use: 'sig' }),
      publicJwk(keys.rsa2, { kid: 'rsa-2' }),
      publicJwk(keys.ec, { kid: 'ec-1' }),
      publicJwk(keys.ed, { kid: 'ed-1' }),
    ],
  });
}

/** A replay guard over a Map, honouring the expiry it is given; counts its calls. */
export class MapReplayGuard implements ReplayGuard {
  readonly calls: { namespace: string; jti: string; expiresAt: number; usableSince?: number }[] = [];
  private readonly used = new Map<string, number>();

  constructor(private readonly nowSeconds: () => number) {}

  async markUsed(namespace: string, jti: string, expiresAt: number, usableSince?: number): Promise<boolean> {
    this.calls.push({ namespace, jti, expiresAt, ...(usableSince !== undefined && { usableSince }) });
    const id = `${namespace}\u0000${jti}`;
    const until = this.used.get(id);
    if (until !== undefined && until > this.nowSeconds()) return false;
    this.used.set(id, expiresAt);
    return true;
  }
}

export interface Parties {
  keys: Keys;
  issuerA: TrustedIssuerPolicy;
  issuerB: TrustedIssuerPolicy;
  client: ClientAssertionPolicy;
  secretClient: ClientAssertionPolicy;
  shortSecretClient: ClientAssertionPolicy;
}

export async function createParties(keys: Keys): Promise<Parties> {
  const issuerBKeys = await importCandidateKeys({ keys: [publicJwk(keys.issuerB, { kid: 'b-1' })] });
  const clientKeys = await importCandidateKeys({ keys: [publicJwk(keys.clientEc, { kid: 'c-1' }), publicJwk(keys.clientEd, { kid: 'c-ed' })] });
  const common = { clockSkewSeconds: 30, maxLifetimeSeconds: 300 };
  return {
    keys,
    issuerA: {
      ...common,
      issuer: ISSUER_A,
      allowedAlgorithms: DEFAULT_ISSUER_ALGORITHMS,
      keys: createStaticKeyResolver(await issuerAKeys(keys)),
      replayNamespace: 'grant:a',
      requireJti: true,
      subjects: ['*'],
      condition: null,
    },
    issuerB: {
      ...common,
      issuer: ISSUER_B,
      allowedAlgorithms: DEFAULT_ISSUER_ALGORITHMS,
      keys: createStaticKeyResolver(issuerBKeys),
      replayNamespace: 'grant:b',
      requireJti: true,
      subjects: ['*'],
    },
    client: {
      ...common,
      clientId: CLIENT_ID,
      method: 'private_key_jwt',
      allowedAlgorithms: ['ES256', 'EdDSA', 'RS256', 'PS256'],
      keys: createStaticKeyResolver(clientKeys),
      replayNamespace: `client:${CLIENT_ID}`,
      reuse: false,
    },
    secretClient: {
      ...common,
      clientId: SECRET_CLIENT_ID,
      method: 'client_secret_jwt',
      allowedAlgorithms: ['HS256', 'HS384', 'HS512'],
      keys: createStaticKeyResolver([hmacCandidateKey(keys.secret)]),
      replayNamespace: `client:${SECRET_CLIENT_ID}`,
      reuse: false,
    },
    shortSecretClient: {
      ...common,
      clientId: SHORT_SECRET_CLIENT_ID,
      method: 'client_secret_jwt',
      allowedAlgorithms: ['HS256'],
      keys: createStaticKeyResolver([hmacCandidateKey(keys.shortSecret)]),
      replayNamespace: `client:${SHORT_SECRET_CLIENT_ID}`,
      reuse: false,
    },
  };
}

export function grantContext(issuers: readonly TrustedIssuerPolicy[], guard: ReplayGuard, now = NOW): GrantVerificationContext {
  const byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  return {
    audience: { brokerIssuer: BROKER, tokenEndpoint: TOKEN_ENDPOINT },
    replayGuard: guard,
    now: () => now * 1000,
    findIssuer: (iss) => byIssuer.get(iss),
  };
}

export function clientContext(clients: readonly ClientAssertionPolicy[], guard: ReplayGuard, now = NOW): ClientVerificationContext {
  const byId = new Map(clients.map((client) => [client.clientId, client]));
  return {
    audience: { brokerIssuer: BROKER, tokenEndpoint: TOKEN_ENDPOINT },
    replayGuard: guard,
    now: () => now * 1000,
    findClient: (clientId) => byId.get(clientId),
  };
}

/**
 * `typ` values of JWTs made for another purpose than an assertion (written out here, not
 * taken from the rule, so that the tables check the rule against the RFCs' names).
 */
export const OTHER_PURPOSE_TYPES = [
  'at+jwt',
  'dpop+jwt',
  'oauth-authz-req+jwt',
  'token-introspection+jwt',
  'secevent+jwt',
  'logout+jwt',
  'client-attestation+jwt',
  'client-attestation-pop+jwt',
  'kb+jwt',
] as const;
