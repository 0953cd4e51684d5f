/**
 * Admin bodies for clients (CONTRACT.md, "Clients"; RFC 7591 field names): strict,
 * defaults applied by the service.
 */
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from '@trust-broker/contracts';
import { SUPPORTED_ALGORITHMS } from '@trust-broker/validation';
import { z } from 'zod';
import { httpUrl, jwksDocument, scopeToken } from '../issuers/issuer.schemas';

export const AUTH_METHODS = ['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'federated_jwt', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
/** Methods whose credential is a server-generated secret. */
export const SECRET_METHODS = new Set<AuthMethod>(['client_secret_jwt', 'client_secret_basic', 'client_secret_post']);
/** Methods that authenticate with a client assertion the client signs itself (RFC 7523 §2.2). */
export const ASSERTION_METHODS = new Set<AuthMethod>(['private_key_jwt', 'client_secret_jwt']);
/**
 * Methods that authenticate with a client assertion, signed by the client or (federated_jwt)
 * by a trusted issuer: `client_assertion_reuse` and assertion revocations apply to them.
 */
export const ASSERTION_AUTH_METHODS = new Set<AuthMethod>([...ASSERTION_METHODS, 'federated_jwt']);

/** CONTRACT.md "Federated client authentication": 1 to 20 `{issuer, subject}` per client. */
export const MAX_FEDERATED_CREDENTIALS = 20;

export const GRANT_TYPES = ['client_credentials', JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, 'refresh_token'] as const;
const SIGNING_ALGORITHMS = [...SUPPORTED_ALGORITHMS.asymmetric, ...SUPPORTED_ALGORITHMS.hmac] as [string, ...string[]];

/** CONTRACT.md "Introspection": `aud` values of tokens a client may introspect (default: its own client_id). */
export const MAX_INTROSPECTION_AUDIENCES = 50;

export const clientIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._~:@+-]{1,256}$/, 'must be 1 to 256 of letters, digits and . _ ~ : @ + -');

const clientFields = {
  client_name: z.string().min(1, 'must not be empty').max(256).nullable(),
  token_endpoint_auth_method: z.enum(AUTH_METHODS, { message: `must be one of ${AUTH_METHODS.join(', ')}` }),
  jwks: jwksDocument.nullable(),
  jwks_uri: httpUrl.nullable(),
  token_endpoint_auth_signing_alg: z.enum(SIGNING_ALGORITHMS, { message: `must be one of ${SIGNING_ALGORITHMS.join(', ')}` }).nullable(),
  grant_types: z
    .array(z.enum(GRANT_TYPES, { message: `must be one of ${GRANT_TYPES.join(', ')}` }))
    .min(1, 'must name at least one grant type')
    .refine((values) => new Set(values).size === values.length, 'must not repeat a value'),
  scope: z
    .string()
    .max(4096)
    .refine((value) => value === '' || value.split(' ').every((token) => scopeToken.safeParse(token).success), 'must be space-separated scope tokens (RFC 6749 §3.3)'),
  client_assertion_reuse: z.boolean(),
  client_assertion_max_lifetime_s: z.number().int().min(1).max(31_536_000),
  access_token_ttl_s: z.number().int().min(1).max(86_400),
  status: z.enum(['active', 'disabled']),
  introspection_audiences: z
    .array(z.string().min(1, 'must not be empty').max(2048))
    .max(MAX_INTROSPECTION_AUDIENCES, `must have at most ${MAX_INTROSPECTION_AUDIENCES} values`)
    .refine((values) => new Set(values).size === values.length, 'must not repeat a value'),
  federated_credentials: z
    .array(
      z
        .object({
          issuer: z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'),
          subject: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
        })
        .strict(),
    )
    .min(1, 'must hold at least one credential')
    .max(MAX_FEDERATED_CREDENTIALS, `must hold at most ${MAX_FEDERATED_CREDENTIALS} credentials`)
    .refine((values) => new Set(values.map((c) => JSON.stringify([c.issuer, c.subject]))).size === values.length, 'must not repeat a credential')
    .nullable(),
};

type OptionalFields = { [K in keyof typeof clientFields]: z.ZodOptional<(typeof clientFields)[K]> };
const optionalFields = Object.fromEntries(Object.entries(clientFields).map(([name, schema]) => [name, schema.optional()])) as OptionalFields;

export const CreateClientSchema = z.object({ client_id: clientIdSchema.optional(), ...optionalFields }).strict();
export const UpdateClientSchema = z.object(optionalFields).strict();

export type CreateClientBody = z.infer<typeof CreateClientSchema>;
export type UpdateClientBody = z.infer<typeof UpdateClientSchema>;

export const CLIENT_DEFAULTS = {
  client_name: null,
  token_endpoint_auth_method: 'private_key_jwt' as AuthMethod,
  jwks: null,
  jwks_uri: null,
  token_endpoint_auth_signing_alg: null,
  grant_types: ['client_credentials'] as string[],
  scope: '',
  client_assertion_reuse: false,
  client_assertion_max_lifetime_s: 300,
  access_token_ttl_s: 600,
  status: 'active' as const,
  federated_credentials: null,
};

export const AssertionRevocationSchema = z
  .object({
    jti: z.string().min(1, 'must not be empty').max(256).optional(),
    kid: z.string().min(1, 'must not be empty').max(256).optional(),
  })
  .strict()
  .refine((body) => (body.jti === undefined) !== (body.kid === undefined), { message: 'give exactly one of jti or kid', path: ['jti'] });

export type AssertionRevocationBody = z.infer<typeof AssertionRevocationSchema>;
