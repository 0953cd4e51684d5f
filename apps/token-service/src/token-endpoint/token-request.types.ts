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
