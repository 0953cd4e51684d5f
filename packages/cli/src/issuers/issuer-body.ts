/**
 * Turns `issuers add|update` flags into the admin API body (CONTRACT.md "Trusted
 * issuers"): only the fields the user gave, so PATCH changes nothing else. A
 * `--body` file gives the base; flags win over it.
 */
import { UsageError } from '../cli.errors';
import { readJsonFile, readPublicJwks } from '../options/option-parsers';

export interface IssuerFlags {
  body?: string;
  issuer?: string;
  displayName?: string;
  status?: string;
  expiresAt?: string;
  jwksFile?: string;
  jwksUri?: string;
  discovery?: boolean;
  subjects?: string[];
  allowedAlgorithms?: string[];
  allowedScopes?: string[];
  audiences?: string[];
  condition?: string;
  claimMapping?: Record<string, string>;
  maxAssertionLifetime?: number;
  clockSkew?: number;
  requireJti?: boolean;
  subjectFromIssuer?: boolean;
  requireClientAuth?: boolean;
  allowedClientIds?: string[];
  accessTokenTtl?: number;
  refreshTokens?: boolean;
  refreshTokenTtl?: number;
  acceptedAudiences?: string[];
}

const FLAG_TO_FIELD: ReadonlyArray<[keyof IssuerFlags, string]> = [
  ['issuer', 'issuer'],
  ['displayName', 'display_name'],
  ['status', 'status'],
  ['expiresAt', 'expires_at'],
  ['jwksUri', 'jwks_uri'],
  ['discovery', 'discovery'],
  ['subjects', 'subjects'],
  ['allowedAlgorithms', 'allowed_algorithms'],
  ['allowedScopes', 'allowed_scopes'],
  ['audiences', 'audiences'],
  ['condition', 'condition'],
  ['claimMapping', 'claim_mappings'],
  ['maxAssertionLifetime', 'max_assertion_lifetime_s'],
  ['clockSkew', 'clock_skew_s'],
  ['requireJti', 'require_jti'],
  ['subjectFromIssuer', 'subject_from_issuer'],
  ['requireClientAuth', 'require_client_auth'],
  ['allowedClientIds', 'allowed_client_ids'],
  ['accessTokenTtl', 'access_token_ttl_s'],
  ['refreshTokens', 'refresh_tokens'],
  ['refreshTokenTtl', 'refresh_token_ttl_s'],
  ['acceptedAudiences', 'accepted_audiences'],
];

function readBodyFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  const body = readJsonFile(path);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError(`${path} must hold a JSON object`);
  return body as Record<string, unknown>;
}

export function buildIssuerBody(flags: IssuerFlags): Record<string, unknown> {
  const body = readBodyFile(flags.body);
  for (const [flag, field] of FLAG_TO_FIELD) {
    if (flags[flag] !== undefined) body[field] = flags[flag];
  }
  if (flags.jwksFile !== undefined) body.jwks = readPublicJwks(flags.jwksFile);
  return body;
}

/** `issuers add` needs the issuer, its subjects and a key source before any request. */
export function checkNewIssuer(body: Record<string, unknown>): void {
  if (typeof body.issuer !== 'string' || body.issuer === '') throw new UsageError('--issuer is required');
  if (!Array.isArray(body.subjects) || body.subjects.length === 0) {
    throw new UsageError('--subjects is required (a comma-separated list; "*" accepts any subject)');
  }
  if (body.jwks === undefined && body.jwks_uri === undefined && body.discovery !== true) {
    throw new UsageError('a key source is required: --jwks-file, --jwks-uri or --discovery');
  }
}
