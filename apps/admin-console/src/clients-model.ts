/** What the contract lists for clients (CONTRACT.md, "Clients"). */
export const AUTH_METHODS = [
  { value: 'private_key_jwt', label: 'private_key_jwt: signs a JWT with its own key (JWKS)' },
  { value: 'client_secret_jwt', label: 'client_secret_jwt: signs a JWT with a generated secret' },
  { value: 'client_secret_basic', label: 'client_secret_basic: generated secret, HTTP Basic' },
  { value: 'client_secret_post', label: 'client_secret_post: generated secret, in the form body' },
  { value: 'federated_jwt', label: "federated_jwt: a trusted issuer's JWT (workload identity)" },
  { value: 'none', label: 'none: public client' },
];

export const SECRET_METHODS = new Set(['client_secret_jwt', 'client_secret_basic', 'client_secret_post']);

export const GRANT_TYPES = [
  { value: 'client_credentials', label: 'client_credentials' },
  { value: 'urn:ietf:params:oauth:grant-type:jwt-bearer', label: 'jwt-bearer (RFC 7523)' },
  { value: 'urn:ietf:params:oauth:grant-type:token-exchange', label: 'token-exchange (RFC 8693)' },
  { value: 'refresh_token', label: 'refresh_token' },
];

export const grantLabel = (value: string) => GRANT_TYPES.find((grant) => grant.value === value)?.label ?? value;

interface OpenApiDocument {
  paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { enum?: string[]; items?: { enum?: string[] } }> } }> } } }>;
}

/**
 * The methods and grant types this registry accepts, read from its own OpenAPI document
 * (the schema that validates POST /v1/clients), so the form offers nothing the API would
 * refuse. Where the document cannot be read, every value of the contract is offered and
 * the API's answer says which it refuses.
 */
export function clientOptionsFrom(document: OpenApiDocument | null): { methods: typeof AUTH_METHODS; grants: typeof GRANT_TYPES } {
  const properties = document?.paths?.['/v1/clients']?.post?.requestBody?.content?.['application/json']?.schema?.properties;
  const methods = properties?.token_endpoint_auth_method?.enum;
  const grants = properties?.grant_types?.items?.enum;
  return {
    methods: methods ? AUTH_METHODS.filter((method) => methods.includes(method.value)) : AUTH_METHODS,
    grants: grants ? GRANT_TYPES.filter((grant) => grants.includes(grant.value)) : GRANT_TYPES,
  };
}
