/** Why an outbound fetch failed; `message` is what `last_error` shows the admin. */
export type OutboundFetchErrorCode =
  | 'timeout'
  | 'http_status'
  | 'body_too_large'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'scheme_not_allowed'
  | 'destination_not_allowed'
  | 'invalid_json'
  | 'network';

export class OutboundFetchError extends Error {
  constructor(readonly code: OutboundFetchErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutboundFetchError';
  }
}
