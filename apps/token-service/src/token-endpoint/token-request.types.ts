/** What the token endpoint needs from the HTTP request (kept small so the pipeline has no Fastify types). */
export interface TokenHttpRequest {
  body: unknown;
  contentType: string | undefined;
  authorization: string | undefined;
  requestId: string;
  remoteAddr: string;
  /** The `DPoP` header (RFC 9449 §4.1), as received. */
  dpop?: string | string[] | undefined;
}

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
