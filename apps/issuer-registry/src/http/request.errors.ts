/**
 * What the admin API refuses before any service runs (a body or query that does not fit
 * its schema, a cursor this API did not hand out), each with a stable code; the one filter
 * (service-kit `HttpErrorFilter`) answers them 400 `invalid_request`.
 */
import type { DomainErrorKind } from '@trust-broker/service-kit';
import { domainErrors } from '../registry-error';

const REQUEST_ERROR_KINDS = {
  body_invalid: 'invalid',
  query_invalid: 'invalid',
  cursor_invalid: 'invalid',
} as const satisfies Record<string, DomainErrorKind>;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_KINDS;

export class RequestError extends domainErrors(REQUEST_ERROR_KINDS) {}
