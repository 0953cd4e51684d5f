/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2 and appendix B):
 * a parameter sent more than once is `invalid_request` (§3.1), a parameter sent empty
 * counts as absent (§3.1), anything but a form body is `invalid_request`.
 */
import { OAuthError } from './oauth-error';

export type FormParameters = Readonly<Record<string, string>>;

/** Turns the parsed body (values may be arrays when repeated) into single string values. */
export function readFormParameters(body: unknown, contentType: string | undefined): FormParameters {
  if (!contentType || !/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(contentType.trim())) {
    throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded', 'unsupported_content_type');
  }
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object') {
    throw new OAuthError('invalid_request', 'malformed form body', 'malformed_request');
  }
  const parameters: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      throw new OAuthError('invalid_request', `parameter "${truncate(name)}" is repeated`, 'parameter_repeated');
    }
    if (typeof value !== 'string') {
      throw new OAuthError('invalid_request', `parameter "${truncate(name)}" is malformed`, 'malformed_request');
    }
    if (value !== '') parameters[name] = value;
  }
  return parameters;
}

function truncate(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}
