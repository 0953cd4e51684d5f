/**
 * Turns `clients add` flags into the admin API body (CONTRACT.md "Clients", RFC 7591
 * names). Grant types may be written short (`jwt-bearer`).
 */
import { UsageError } from '../cli.errors';
import { readJsonFile, readPublicJwks } from '../options/option-parsers';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from '../token/token-request';

export const AUTH_METHODS = ['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'federated_jwt', 'none'] as const;

export interface ClientFlags {
  body?: string;
  clientId?: string;
  name?: string;
  authMethod?: string;
  jwksFile?: string;
  jwksUri?: string;
  signingAlg?: string;
  grantTypes?: string[];
  scope?: string;
  assertionReuse?: boolean;
  assertionMaxLifetime?: number;
  introspectionAudiences?: string[];
  /** `federated_jwt`: `{issuer, subject}` pairs, from repeated `--federated-credential ISSUER=SUBJECT`. */
  federatedCredential?: { issuer: string; subject: string }[];
  status?: string;
}

const GRANT_ALIASES: Record<string, string> = { 'jwt-bearer': JWT_BEARER_GRANT, 'token-exchange': TOKEN_EXCHANGE_GRANT };

export function expandGrantType(grantType: string): string {
  return GRANT_ALIASES[grantType] ?? grantType;
}

const FLAG_TO_FIELD: ReadonlyArray<[keyof ClientFlags, string]> = [
  ['clientId', 'client_id'],
  ['name', 'client_name'],
  ['authMethod', 'token_endpoint_auth_method'],
  ['jwksUri', 'jwks_uri'],
  ['signingAlg', 'token_endpoint_auth_signing_alg'],
  ['scope', 'scope'],
  ['assertionReuse', 'client_assertion_reuse'],
  ['assertionMaxLifetime', 'client_assertion_max_lifetime_s'],
  ['status', 'status'],
];

export function buildClientBody(flags: ClientFlags): Record<string, unknown> {
  const base = flags.body === undefined ? {} : readJsonFile(flags.body);
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new UsageError(`${flags.body} must hold a JSON object`);
  const body = { ...(base as Record<string, unknown>) };
  for (const [flag, field] of FLAG_TO_FIELD) {
    if (flags[flag] !== undefined) body[field] = flags[flag];
  }
  if (flags.grantTypes !== undefined) body.grant_types = flags.grantTypes.map(expandGrantType);
  if (flags.introspectionAudiences !== undefined) body.introspection_audiences = flags.introspectionAudiences;
  if (flags.jwksFile !== undefined) body.jwks = readPublicJwks(flags.jwksFile);
  if (flags.federatedCredential !== undefined) body.federated_credentials = flags.federatedCredential;
  return body;
}

/** `--federated-credential ISSUER=SUBJECT` (repeatable): split at the first `=`, the issuer being a URL without one. */
export function parseFederatedCredential(value: string, previous: { issuer: string; subject: string }[] | undefined): { issuer: string; subject: string }[] {
  const index = value.indexOf('=');
  if (index <= 0 || index === value.length - 1) throw new UsageError('--federated-credential: expected ISSUER=SUBJECT (the exact iss and sub of the workload tokens)');
  return [...(previous ?? []), { issuer: value.slice(0, index), subject: value.slice(index + 1) }];
}

/** private_key_jwt (the default method) needs keys, federated_jwt credentials; say so before the server does. */
export function checkNewClient(body: Record<string, unknown>): void {
  const method = body.token_endpoint_auth_method ?? 'private_key_jwt';
  if (method === 'federated_jwt' && body.federated_credentials === undefined) {
    throw new UsageError('a federated_jwt client needs --federated-credential ISSUER=SUBJECT (repeatable)');
  }
  if (method === 'private_key_jwt' && body.jwks === undefined && body.jwks_uri === undefined) {
    throw new UsageError('a private_key_jwt client needs --jwks-file or --jwks-uri (or choose another --auth-method)');
  }
}
