/**
 * Real-shaped workload IdPs for end-to-end tests, served on loopback (a LoopbackIdp):
 * GitHub Actions and a Kubernetes cluster's service-account issuer, each with its
 * discovery document, key set and tokens as that platform publishes and signs them (the
 * sources are cited beside each), and the key helpers partner IdPs are built with. Only
 * `aud` is the test's choice: the audience each platform lets its users ask for.
 */
import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { LoopbackIdp } from '@trust-broker/testing';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** The public JWK members only (`kty`, `n`, `e` or `crv`, `x`, `y`). */
  jwk: Record<string, unknown>;
  /** `x5c`, `x5t`, `x5t#S256` as IdPs that publish certificates add them. */
  certificateMembers: Record<string, unknown>;
}

export function rsaKey(kid: string, modulusLength = 2048): SigningKey {
  return keyFrom(kid, generateKeyPairSync('rsa', { modulusLength }));
}

export function ecKey(kid: string, namedCurve = 'P-256'): SigningKey {
  return keyFrom(kid, generateKeyPairSync('ec', { namedCurve }));
}

export function keyFrom(kid: string, pair: { publicKey: KeyObject; privateKey: KeyObject }): SigningKey {
  const der = pair.publicKey.export({ type: 'spki', format: 'der' });
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }) },
    certificateMembers: {
      x5c: [der.toString('base64')],
      x5t: createHash('sha1').update(der).digest('base64url'),
      'x5t#S256': createHash('sha256').update(der).digest('base64url'),
    },
  };
}

export const now = (): number => Math.floor(Date.now() / 1000);

export function sign(key: SigningKey, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims as JWTPayload).setProtectedHeader(header as JWTHeaderParameters).sign(key.privateKey);
}

export function pick(jwk: Record<string, unknown>, ...members: string[]): Record<string, unknown> {
  return Object.fromEntries(members.map((member) => [member, jwk[member]]));
}

/** A workload platform on loopback: its issuer, key, the `sub` of its tokens, and a minter (claims overridable). */
export interface WorkloadIdp {
  issuer: string;
  key: SigningKey;
  subject: string;
  mint(overrides?: Record<string, unknown>): Promise<string>;
}

/**
 * GitHub Actions: https://docs.github.com/en/actions/reference/security/oidc ("OIDC token
 * claims", the example token) and https://token.actions.githubusercontent.com/.well-known/openid-configuration
 * (jwks_uri .../.well-known/jwks; keys RSA, RS256, use sig, x5c, x5t): header typ JWT, alg
 * RS256, x5t, kid; sub "repo:ORG/REPO:environment:NAME"; a custom aud set with
 * core.getIDToken(audience); nbf 10 minutes before iat, exp 5 minutes after it; a jti.
 */
export function serveGitHubActions(idp: LoopbackIdp, audience: string): WorkloadIdp {
  const issuer = idp.url;
  const key = rsaKey('38826b17-6a30-5f9b-b169-8beb8202f723');
  idp.serve('/.well-known/openid-configuration', {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks`,
    subject_types_supported: ['public', 'pairwise'],
    response_types_supported: ['id_token'],
    claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_id', 'repository_owner', 'run_id', 'actor', 'environment', 'job_workflow_ref', 'runner_environment'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
  }, 'application/json; charset=utf-8');
  idp.serve('/.well-known/jwks', { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid, ...pick(key.jwk, 'n', 'e'), x5c: key.certificateMembers.x5c, x5t: key.certificateMembers.x5t }] }, 'application/json; charset=utf-8');
  const subject = 'repo:octo-org/octo-repo:environment:prod';
  const mint = (overrides: Record<string, unknown> = {}) => {
    const iat = now();
    return sign(key, { typ: 'JWT', alg: 'RS256', x5t: key.certificateMembers.x5t, kid: key.kid }, {
      jti: randomUUID(),
      sub: subject,
      environment: 'prod',
      aud: audience,
      ref: 'refs/heads/main',
      sha: 'example-sha',
      repository: 'octo-org/octo-repo',
      repository_owner: 'octo-org',
      actor_id: '12',
      repository_visibility: 'private',
      repository_id: '74',
      repository_owner_id: '65',
      run_id: 'example-run-id',
      run_number: '10',
      run_attempt: '2',
      runner_environment: 'github-hosted',
      actor: 'octocat',
      workflow: 'example-workflow',
      head_ref: '',
      base_ref: '',
      event_name: 'workflow_dispatch',
      ref_type: 'branch',
      job_workflow_ref: 'octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main',
      iss: issuer,
      nbf: iat - 600,
      exp: iat + 300,
      iat,
      ...overrides,
    });
  };
  return { issuer, key, subject, mint };
}

/**
 * Kubernetes projected service account tokens (aud from the volume's audience, an array;
 * nested "kubernetes.io" object with namespace, pod, serviceaccount, node; nbf = iat; a jti
 * since 1.29; expirationSeconds 1 h by default, at least 10 min):
 * https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume
 * and https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#serviceaccount-token-volume-projection.
 * Issuer discovery (/.well-known/openid-configuration, jwks_uri /openid/v1/jwks served as
 * application/jwk-set+json; RSA, RS256, use sig):
 * https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#service-account-issuer-discovery.
 */
export function serveKubernetes(idp: LoopbackIdp, audience: string[]): WorkloadIdp {
  const issuer = idp.url;
  const key = rsaKey('Rk5IhnCxUAu1hj5Wq6HOrf3vh6KwHT0ZlB7w6QYqVX8');
  idp.serve('/.well-known/openid-configuration', {
    issuer,
    jwks_uri: `${issuer}/openid/v1/jwks`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
  idp.serve('/openid/v1/jwks', { keys: [{ use: 'sig', kty: 'RSA', kid: key.kid, alg: 'RS256', ...pick(key.jwk, 'n', 'e') }] }, 'application/jwk-set+json');
  const subject = 'system:serviceaccount:payments:api';
  const mint = (overrides: Record<string, unknown> = {}) => {
    const iat = now();
    return sign(key, { alg: 'RS256', kid: key.kid }, {
      aud: audience,
      exp: iat + 3600,
      iat,
      iss: issuer,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace: 'payments',
        node: { name: 'node-1', uid: randomUUID() },
        pod: { name: 'api-7d9c5b7b6c-x2x8q', uid: randomUUID() },
        serviceaccount: { name: 'api', uid: randomUUID() },
      },
      nbf: iat,
      sub: subject,
      ...overrides,
    });
  };
  return { issuer, key, subject, mint };
}
