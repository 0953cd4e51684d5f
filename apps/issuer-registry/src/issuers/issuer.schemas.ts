/**
 * Admin bodies for trusted issuers (CONTRACT.md, "Trusted issuers"): strict (unknown
 * fields are rejected), defaults applied by the service. Key sets and CEL are checked
 * further by the validation package (issuers.service.ts).
 */
import { DEFAULT_ISSUER_ALGORITHMS, SUPPORTED_ALGORITHMS } from '@trust-broker/validation';
import { z } from 'zod';

/** Largest `claim_mappings` document (names and expressions, as JSON). */
export const MAX_CLAIM_MAPPINGS_BYTES = 4096;

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const uniqueList = <T extends z.ZodType>(item: T, max: number) =>
  z
    .array(item)
    .max(max, `must hold at most ${max} values`)
    .refine((values) => new Set(values).size === values.length, 'must not repeat a value');

/** RFC 6749 §3.3 scope-token. */
export const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/, 'must be a scope token (RFC 6749 §3.3)');
const algorithm = z.enum(SUPPORTED_ALGORITHMS.asymmetric as unknown as [string, ...string[]], {
  message: `must be one of ${SUPPORTED_ALGORITHMS.asymmetric.join(', ')}`,
});
/** Claims the broker sets itself: a mapping must not overwrite them. */
const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope', 'idp', 'cnf', 'act']);
const claimName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, 'must be a claim name of letters, digits, _ . : - (at most 64)')
  .refine((name) => !RESERVED_CLAIMS.has(name), 'is set by the broker and cannot be mapped');

export const jwksDocument = z.record(z.string(), z.unknown(), { message: 'must be a JSON object with a "keys" array' });
/** True for an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export const httpUrl = text(2048).refine(isHttpUrl, 'must be an absolute http(s) URL');

export const issuerFields = {
  issuer: text(2048),
  display_name: text(256),
  status: z.enum(['active', 'disabled']),
  expires_at: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time with an offset' }).nullable(),
  jwks: jwksDocument.nullable(),
  jwks_uri: httpUrl.nullable(),
  discovery: z.boolean(),
  allowed_algorithms: uniqueList(algorithm, 20).refine((v) => v.length > 0, 'must name at least one algorithm'),
  subjects: uniqueList(text(1024), 10_000).refine((v) => v.length > 0, 'must hold at least one value ("*" accepts any)'),
  condition: text(4096).nullable(),
  claim_mappings: z
    .record(claimName, text(4096))
    .refine((m) => Object.keys(m).length <= 50, 'must hold at most 50 mappings')
    // The mapped claims go into every access token, whose size is capped at issuance (token-service).
    .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_CLAIM_MAPPINGS_BYTES, `must total at most ${MAX_CLAIM_MAPPINGS_BYTES} bytes (as JSON)`)
    .nullable(),
  allowed_scopes: uniqueList(scopeToken, 500),
  audiences: uniqueList(text(2048), 100),
  max_assertion_lifetime_s: z.number().int().min(1).max(86_400),
  clock_skew_s: z.number().int().min(0).max(600),
  require_jti: z.boolean(),
  subject_from_issuer: z.boolean(),
  require_client_auth: z.boolean(),
  allowed_client_ids: uniqueList(text(256), 1000),
  access_token_ttl_s: z.number().int().min(1).max(86_400),
  refresh_tokens: z.boolean(),
  /** A refresh-token family's absolute lifetime: 1 minute to 30 days. */
  refresh_token_ttl_s: z.number().int().min(60).max(2_592_000),
  // `aud` values accepted on its tokens used as token-exchange subject or actor tokens and as
  // federated client assertions (CONTRACT.md); empty: none of its tokens serve those uses.
  accepted_audiences: uniqueList(text(2048), 100),
};

export const CreateIssuerSchema = z
  .object({
    ...Object.fromEntries(Object.entries(issuerFields).map(([name, schema]) => [name, schema.optional()])),
    issuer: issuerFields.issuer,
    subjects: issuerFields.subjects,
  } as { [K in keyof typeof issuerFields]: K extends 'issuer' | 'subjects' ? (typeof issuerFields)[K] : z.ZodOptional<(typeof issuerFields)[K]> })
  .strict();

export const UpdateIssuerSchema = z
  .object(
    Object.fromEntries(Object.entries(issuerFields).map(([name, schema]) => [name, schema.optional()])) as {
      [K in keyof typeof issuerFields]: z.ZodOptional<(typeof issuerFields)[K]>;
    },
  )
  .strict();

/**
 * `POST /v1/issuers/expressions/check`: a `condition` and `claim_mappings` as an admin
 * is typing them. Only the shape is checked here (strings, bounded sizes); the field
 * rules and the CEL compiler then run one by one, so every problem is reported.
 */
export const ExpressionCheckSchema = z
  .object({
    condition: z.string().max(65_536, 'must be at most 65536 characters').nullable().optional(),
    claim_mappings: z
      .record(z.string().max(1024, 'must be at most 1024 characters'), z.string().max(65_536, 'must be at most 65536 characters'))
      .refine((m) => Object.keys(m).length <= 200, 'must hold at most 200 mappings')
      .nullable()
      .optional(),
  })
  .strict();

export type ExpressionCheckBody = z.infer<typeof ExpressionCheckSchema>;

export type CreateIssuerBody = z.infer<typeof CreateIssuerSchema>;
export type UpdateIssuerBody = z.infer<typeof UpdateIssuerSchema>;

export const ISSUER_DEFAULTS = {
  status: 'active' as const,
  expires_at: null,
  condition: null,
  claim_mappings: null,
  allowed_algorithms: [...DEFAULT_ISSUER_ALGORITHMS] as string[],
  allowed_scopes: [] as string[],
  audiences: [] as string[],
  max_assertion_lifetime_s: 300,
  clock_skew_s: 30,
  require_jti: true,
  subject_from_issuer: false,
  require_client_auth: false,
  allowed_client_ids: [] as string[],
  access_token_ttl_s: 600,
  refresh_tokens: false,
  refresh_token_ttl_s: 86_400,
};
