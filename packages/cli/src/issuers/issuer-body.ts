/**
 * Turns `issuers add|update` flags into the admin API body (CONTRACT.md "Trusted
 * issuers"): only the fields the user gave, so PATCH changes nothing else. A
 * `--body` file gives the base; flags win over it. The flags are a table, which
 * `issuers.command.ts` hands to commander.
 */
import { UsageError } from '../cli.errors';
import { JWKS_FILE_FLAG, JWKS_URI_FLAG, buildBodyFromFlags, type FieldFlag } from '../options/field-flags';
import { parseChoice, parseKeyValue, parseList, parseNonNegativeInteger, parsePositiveInteger, parseRfc3339 } from '../options/option-parsers';

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

/** Every field flag of `issuers add|update`, in the order the help lists them. */
export const ISSUER_FIELD_FLAGS: readonly FieldFlag[] = [
  { flags: '--issuer <iss>', help: "the exact 'iss' of its assertions", field: 'issuer' },
  { flags: '--display-name <name>', help: 'a name for people', field: 'display_name' },
  { flags: '--expires-at <time>', help: 'RFC 3339 time after which the trust is void', field: 'expires_at', parse: parseRfc3339 },
  JWKS_FILE_FLAG,
  JWKS_URI_FLAG,
  { flags: '--discovery', help: "find jwks_uri from the issuer's discovery document", field: 'discovery', noHelp: 'do not use discovery' },
  { flags: '--subjects <list>', help: "accepted 'sub' values, comma-separated; '*' for any", field: 'subjects', parse: parseList },
  { flags: '--allowed-algorithms <list>', help: 'JWS algorithms, comma-separated', field: 'allowed_algorithms', parse: parseList },
  { flags: '--allowed-scopes <list>', help: 'scopes its assertions may obtain, comma-separated', field: 'allowed_scopes', parse: parseList },
  { flags: '--audiences <list>', help: "values the access token may carry in 'aud'", field: 'audiences', parse: parseList },
  { flags: '--condition <cel>', help: "a CEL expression over 'claims' that must be true", field: 'condition' },
  { flags: '--claim-mapping <name=cel>', help: 'an output claim and its CEL expression (repeatable)', field: 'claim_mappings', parse: parseKeyValue },
  { flags: '--max-assertion-lifetime <seconds>', help: 'largest accepted exp - iat', field: 'max_assertion_lifetime_s', parse: parsePositiveInteger },
  { flags: '--clock-skew <seconds>', help: 'leeway for exp, nbf, iat', field: 'clock_skew_s', parse: parseNonNegativeInteger },
  { flags: '--require-jti', help: "'jti' required and single-use", field: 'require_jti', noHelp: "'jti' optional" },
  {
    flags: '--subject-from-issuer',
    help: "an assertion without 'sub' stands for its 'iss' (Google service accounts)",
    field: 'subject_from_issuer',
    noHelp: "'sub' required",
  },
  {
    flags: '--require-client-auth',
    help: 'the grant needs an authenticated client',
    field: 'require_client_auth',
    noHelp: 'the grant does not need client authentication',
  },
  { flags: '--allowed-client-ids <list>', help: 'clients that may present its assertions', field: 'allowed_client_ids', parse: parseList },
  { flags: '--access-token-ttl <seconds>', help: 'lifetime of tokens issued from its assertions', field: 'access_token_ttl_s', parse: parsePositiveInteger },
  { flags: '--refresh-tokens', help: 'its grants and exchanges may also return refresh tokens', field: 'refresh_tokens', noHelp: 'no refresh tokens' },
  { flags: '--refresh-token-ttl <seconds>', help: 'longest life of a refresh-token family', field: 'refresh_token_ttl_s', parse: parsePositiveInteger },
  {
    flags: '--accepted-audiences <list>',
    help: "'aud' values accepted on its tokens used as token-exchange subject tokens or federated client assertions (default: BROKER_ISSUER)",
    field: 'accepted_audiences',
    parse: parseList,
  },
  { flags: '--status <status>', help: 'active or disabled', field: 'status', parse: parseChoice(['active', 'disabled']), updateOnly: true },
];

export function buildIssuerBody(flags: IssuerFlags): Record<string, unknown> {
  return buildBodyFromFlags(flags, ISSUER_FIELD_FLAGS);
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
