/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2 and appendix B):
 * a parameter sent more than once is `invalid_request` (§3.1) unless the request's grant
 * lets it repeat (RFC 8693 §2.1: `audience`, `resource`), a parameter sent empty counts as
 * absent (§3.1), anything but a form body is `invalid_request`.
 */
import { OAuthError } from './oauth-error';

export type FormParameters = Readonly<Record<string, string>>;

/** Every non-empty value of each parameter that may repeat, in order (absent: none sent). */
export type FormLists = Readonly<Record<string, readonly string[]>>;

const NO_REPEATS: ReadonlySet<string> = new Set();

/** Turns the parsed body (values may be arrays when repeated) into single string values. */
export function readFormParameters(body: unknown, contentType: string | undefined): FormParameters {
  return readForm(body, contentType).parameters;
}

/**
 * The same, where the names in `repeatable` may appear more than once: all their values
 * are in `lists`; `parameters` holds such a name only when it was sent once.
 */
export function readForm(body: unknown, contentType: string | undefined, repeatable: ReadonlySet<string> = NO_REPEATS): { parameters: FormParameters; lists: FormLists } {
  if (!contentType || !/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(contentType.trim())) {
    throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded', 'unsupported_content_type');
  }
  const parameters: Record<string, string> = Object.create(null);
  const lists: Record<string, string[]> = Object.create(null);
  if (body === undefined || body === null) return { parameters, lists };
  if (typeof body !== 'object') {
    throw new OAuthError('invalid_request', 'malformed form body', 'malformed_request');
  }
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') {
      // Sent once (nearly every parameter): the rules below, without their arrays.
      if (value === '') continue;
      if (repeatable.has(name)) lists[name] = [value];
      parameters[name] = value;
      continue;
    }
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    if (values.length > 1 && !repeatable.has(name)) {
      throw new OAuthError('invalid_request', `parameter "${truncate(name)}" is repeated`, 'parameter_repeated');
    }
    if (values.some((item) => typeof item !== 'string')) {
      throw new OAuthError('invalid_request', `parameter "${truncate(name)}" is malformed`, 'malformed_request');
    }
    const present = (values as string[]).filter((item) => item !== '');
    if (repeatable.has(name) && present.length > 0) lists[name] = present;
    if (values.length === 1 && present.length === 1) parameters[name] = present[0]!;
  }
  return { parameters, lists };
}

function truncate(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}
