/**
 * What callers hand the rule engine. The engine does no I/O: the token service supplies
 * the trusted party (found by the unverified `iss` or `client_id`), its keys, the replay
 * guard (Redis in production) and the clock.
 */
import type { CryptoKey, KeyObject, JWTHeaderParameters, JWTPayload } from 'jose';

/** One usable verification key of one party, imported once by the caller and cached. */
export interface CandidateKey {
  kid?: string;
  /** The JWK `alg`, when the key declares one: the assertion's `alg` must then equal it. */
  alg?: string;
  /** `RSA`, `EC` (with `crv`), `OKP` (with `crv`), or `oct` (a client secret). */
  kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  crv?: string;
  /** A public key (jose `importJWK`, or a node KeyObject), or the secret's bytes for `oct`. */
  key: CryptoKey | KeyObject | Uint8Array;
}

/**
 * Finds verification keys of ONE party. With a `kid`: the keys with that `kid`, or
 * `{ unknownKid: true }` when the party holds none (the caller may refresh and retry).
 * Without a `kid`: every key of the party that fits `alg`.
 */
export interface KeyResolver {
  resolve(header: { alg: string; kid?: string }): Promise<CandidateKey[] | { unknownKid: true }> | CandidateKey[] | { unknownKid: true };
}

/**
 * What a replay guard answers: `true` the first time, `false` on a replay, `'state_lost'`
 * when the store lost its records after the assertion could first have been used (it
 * cannot tell whether this is a replay: fail closed).
 */
export type ReplayVerdict = boolean | 'state_lost';

/** Records a `jti` once. Throws when unavailable. */
export interface ReplayGuard {
  /**
   * `keepUntil`: seconds since the epoch until which the mark must be kept (the first
   * second at which the time rules refuse the assertion); `usableSince`: the earliest
   * second at which the assertion could have been accepted (for loss detection).
   */
  markUsed(namespace: string, jti: string, keepUntil: number, usableSince: number): Promise<ReplayVerdict>;
}

/**
 * What an assertion whose signature verified has shown, for the audit event of a request
 * that fails afterwards (CONTRACT.md "Audit API"): claims only, never the assertion.
 */
export interface VerifiedFacts {
  issuer: string;
  subject?: string;
  kid?: string;
  jti?: string;
}

/** The policy common to both kinds of assertion. */
export interface AssertionPolicy {
  allowedAlgorithms: readonly string[];
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  keys: KeyResolver;
}

/** A trusted issuer, as the caller found it by the assertion's unverified `iss`. */
export interface TrustedIssuerPolicy extends AssertionPolicy {
  /** The exact `iss` value. */
  issuer: string;
  /** Replay namespace: e.g. `grant:<issuer id>`. */
  replayNamespace: string;
  /** `jti` required and single-use. */
  requireJti: boolean;
  /** Accepted `sub` values; `['*']` accepts any. */
  subjects: readonly string[];
  /**
   * An assertion without `sub` stands for its `iss` (the service-account style of Google's
   * JWT bearer flow, CONTRACT.md `subject_from_issuer`). Default false: `sub` is required.
   */
  subjectFromIssuer?: boolean;
  /** CEL expression over `claims` that must be true, if any. */
  condition?: string | null;
  /**
   * `aud` values accepted on its tokens used as token-exchange subject or actor tokens and
   * as federated client assertions (CONTRACT.md `accepted_audiences`, resolved: the
   * caller turns "unset" into `[BROKER_ISSUER]`). Absent or empty: no such use.
   */
  acceptedAudiences?: readonly string[];
}

/** One credential of a `federated_jwt` client: the exact `iss` and `sub` of the tokens it authenticates with. */
export interface FederatedCredential {
  issuer: string;
  subject: string;
}

/**
 * A `federated_jwt` client, as the caller found it by the `client_id` parameter: it holds
 * no key; a trusted issuer named in its credentials signs its assertions.
 */
export interface FederatedClientPolicy {
  clientId: string;
  credentials: readonly FederatedCredential[];
  /** Replay namespace: e.g. `client:<client_id>`. */
  replayNamespace: string;
  /** false: `jti` required and single-use; true: the same token may be presented until it expires. */
  reuse: boolean;
  /** Admin revocations (by `jti` or by the issuer key's `kid`); true refuses the assertion. */
  isRevoked?: (assertion: { jti?: string; kid?: string }) => boolean;
}

/** A client, as the caller found it by the assertion's unverified `iss`/`sub`. */
export interface ClientAssertionPolicy extends AssertionPolicy {
  clientId: string;
  method: 'private_key_jwt' | 'client_secret_jwt';
  /** Replay namespace: e.g. `client:<client_id>`. */
  replayNamespace: string;
  /** false: `jti` required and single-use; true: a long-lived assertion may be reused until it expires. */
  reuse: boolean;
  /** Admin revocations (by `jti` or by `kid`); true refuses the assertion. */
  isRevoked?: (assertion: { jti?: string; kid?: string }) => boolean;
}

export interface AudienceContext {
  /** This server's issuer identifier (`BROKER_ISSUER`). */
  brokerIssuer: string;
  /** `${BROKER_ISSUER}/oauth2/token`. */
  tokenEndpoint: string;
}

export interface CommonContext {
  audience: AudienceContext;
  replayGuard: ReplayGuard;
  /** The clock, in milliseconds since the epoch. Defaults to `Date.now`. */
  now?: () => number;
}

export interface GrantVerificationContext extends CommonContext {
  /** The active, unexpired trusted issuer with this exact `iss`, or undefined. */
  findIssuer(iss: string): TrustedIssuerPolicy | undefined | Promise<TrustedIssuerPolicy | undefined>;
}

export interface ClientVerificationContext extends CommonContext {
  /** Accept the token endpoint URL (and the called endpoint's URL) as `aud` too (`CLIENT_ASSERTION_AUDIENCE_COMPAT`). */
  acceptEndpointAudience?: boolean;
  /** The URL of the endpoint being called (token, introspection, revocation). */
  endpointUrl?: string;
  /** The `client_id` form parameter, when the request sent one. */
  clientIdParameter?: string;
  /** The active client with this `client_id` that uses a JWT method, or undefined. */
  findClient(clientId: string): ClientAssertionPolicy | undefined | Promise<ClientAssertionPolicy | undefined>;
}

/** A token-exchange subject or actor token (RFC 8693 §2.1): reusable until it expires, so no replay guard. */
export interface SubjectTokenVerificationContext {
  /** The clock, in milliseconds since the epoch. Defaults to `Date.now`. */
  now?: () => number;
  /** The active, unexpired trusted issuer with this exact `iss`, or undefined. */
  findIssuer(iss: string): TrustedIssuerPolicy | undefined | Promise<TrustedIssuerPolicy | undefined>;
}

/** A federated client assertion (CONTRACT.md "Federated client authentication"). */
export interface FederatedClientVerificationContext {
  replayGuard: ReplayGuard;
  /** The clock, in milliseconds since the epoch. Defaults to `Date.now`. */
  now?: () => number;
  /** The client named by the request's `client_id` parameter. */
  client: FederatedClientPolicy;
  /** The active, unexpired trusted issuer with this exact `iss`, or undefined. */
  findIssuer(iss: string): TrustedIssuerPolicy | undefined | Promise<TrustedIssuerPolicy | undefined>;
}

export interface VerifiedAssertion {
  header: JWTHeaderParameters;
  claims: JWTPayload;
  issuer: string;
  subject: string;
  jti?: string;
  kid?: string;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}
