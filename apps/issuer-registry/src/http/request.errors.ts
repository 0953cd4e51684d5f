/**
 * What the admin API refuses before any service runs (a body or query that does not fit
 * its schema, a cursor this API did not hand out), each with a stable code; the one filter
 * (service-kit `HttpErrorFilter`) answers them 400 `invalid_request`.
 */
import { domainErrors } from '../registry-error';

export class RequestError extends domainErrors({
  invalid: ['body_invalid', 'query_invalid', 'cursor_invalid'],
}) {}
