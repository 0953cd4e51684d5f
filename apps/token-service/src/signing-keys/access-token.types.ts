/**
 * The interface between the token endpoint and the broker's own signing keys
 * (RFC 9068 access tokens, `typ: at+jwt`, published at `/.well-known/jwks.json`).
 */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id?: string;
  scope: string;
  /** The `iss` of the trusted issuer whose assertion was exchanged (grants only). */
  idp?: string;
  [claim: string]: unknown;
}

/** Implemented by `signing-keys/access-token-signer.service.ts`. */
export interface AccessTokenSignerApi {
  /** Signs with the active key (header `typ: at+jwt`, `kid`, `alg`). */
  sign(claims: AccessTokenClaims): Promise<string>;
  /** Verifies one of our own access tokens (signature, `iss`, `typ`, `exp`); undefined if not valid. */
  verify(token: string): Promise<AccessTokenClaims | undefined>;
  /** The public keys to publish: active, next and still-valid retired keys. */
  publicJwks(): { keys: Record<string, unknown>[] };
  /** Algorithms the broker signs with (for RFC 8414 metadata). */
  readonly algorithms: readonly string[];
}
