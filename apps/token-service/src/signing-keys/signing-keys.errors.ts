/** Failures of the broker's own signing keys; none of them is the caller's fault. */
export type SigningKeyErrorCode =
  | 'no_active_signing_key'
  | 'signing_key_undecryptable'
  | 'access_token_outlives_key'
  | 'invalid_access_token_claims';

export class SigningKeyError extends Error {
  constructor(
    readonly code: SigningKeyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}
