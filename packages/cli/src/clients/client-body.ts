/**
 * Turns `clients add` flags into the admin API body (CONTRACT.md "Clients", RFC 7591
 * names). Grant types may be written short (`jwt-bearer`).
 */
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from '@trust-broker/contracts/oauth-urns';
import { UsageError } from '../cli.errors';
import { JWKS_FILE_FLAG, JWKS_URI_FLAG, buildBodyFromFlags, type FieldFlag } from '../options/field-flags';
import { parseChoice, parseList, parsePositiveInteger } from '../options/option-parsers';

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
}

const GRANT_ALIASES: Record<string, string> = { 'jwt-bearer': JWT_BEARER_GRANT, 'token-exchange': TOKEN_EXCHANGE_GRANT };

export function expandGrantType(grantType: string): string {
  return GRANT_ALIASES[grantType] ?? grantType;
}

/** Every field flag of `clients add`, in the order the help lists them. */
export const CLIENT_FIELD_FLAGS: readonly FieldFlag[] = [
  { flags: '--client-id <id>', help: 'its client_id (generated when absent)', field: 'client_id' },
  { flags: '--name <name>', help: 'client_name', field: 'client_name' },
  {
    flags: '--auth-method <method>',
    help: `token_endpoint_auth_method: ${AUTH_METHODS.join(', ')}`,
    field: 'token_endpoint_auth_method',
    parse: parseChoice(AUTH_METHODS),
  },
  JWKS_FILE_FLAG,
  JWKS_URI_FLAG,
  { flags: '--signing-alg <alg>', help: 'the one algorithm its assertions must use', field: 'token_endpoint_auth_signing_alg' },
  {
    flags: '--federated-credential <issuer=subject>',
    help: 'federated_jwt: the exact iss and sub of the workload tokens it authenticates with (repeatable, 1 to 20)',
    field: 'federated_credentials',
    parse: parseFederatedCredential,
  },
  {
    flags: '--grant-types <list>',
    help: "comma-separated; 'jwt-bearer' and 'token-exchange' are short for the RFC 7523 and RFC 8693 grants",
    field: 'grant_types',
    parse: parseList,
    toField: (grantTypes: string[]) => grantTypes.map(expandGrantType),
  },
  { flags: '--scope <scopes>', help: 'space-separated scopes it may obtain', field: 'scope' },
  {
    flags: '--assertion-reuse',
    help: 'accept a long-lived client assertion many times',
    field: 'client_assertion_reuse',
    noHelp: 'each client assertion single-use',
  },
  {
    flags: '--assertion-max-lifetime <seconds>',
    help: 'largest accepted client assertion lifetime',
    field: 'client_assertion_max_lifetime_s',
    parse: parsePositiveInteger,
  },
  {
    flags: '--introspection-audiences <list>',
    help: 'comma-separated aud values of tokens it may introspect besides its own (default: its client_id)',
    field: 'introspection_audiences',
    parse: parseList,
  },
];

export function buildClientBody(flags: ClientFlags): Record<string, unknown> {
  return buildBodyFromFlags(flags, CLIENT_FIELD_FLAGS);
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
