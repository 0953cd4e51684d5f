/** RFC 6749 §5.1; `token_type: DPoP` for a key-bound token (RFC 9449 §5). */
export interface TokenResponseBody {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  /** RFC 8693 §2.2.1, token exchange only. */
  issued_token_type?: string;
  refresh_token?: string;
}

/**
 * TokenResponseBody as the JSON schema Fastify compiles its 200 answer's serializer from:
 * every member, in the order the endpoint sets them (a member missing here would be dropped).
 */
export const TOKEN_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'number' },
    scope: { type: 'string' },
    issued_token_type: { type: 'string' },
    refresh_token: { type: 'string' },
  },
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
} as const;
