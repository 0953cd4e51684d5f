/**
 * The access token's audience (RFC 8707 `resource`, RFC 8693 `audience`, CONTRACT.md):
 * the requested target when it is allowed, else the default. A `resource` must be an
 * absolute URI without a fragment (RFC 8707 §2); a target outside the allowed list is
 * `invalid_target`.
 */
import { OAuthError } from '../oauth/oauth-error';
import type { FormParameters } from '../oauth/form-body';

export function requestedTargets(parameters: FormParameters): string[] {
  const { resource, audience } = parameters;
  return requestedTargetLists(resource === undefined ? [] : [resource], audience === undefined ? [] : [audience]);
}

/**
 * `allowed`: the values the token may carry (the issuer's `audiences`), or undefined when
 * any target is accepted. `fallback`: the audience when nothing is requested.
 */
export function resolveAudience(parameters: FormParameters, allowed: readonly string[] | undefined, fallback: readonly string[]): string[] {
  return resolveTargets(requestedTargets(parameters), allowed, fallback);
}

/** The same for targets already read (RFC 8693 §2.1: any number of `resource` and `audience` values). */
export function resolveTargets(targets: readonly string[], allowed: readonly string[] | undefined, fallback: readonly string[]): string[] {
  if (targets.length === 0) return [...fallback];
  if (allowed !== undefined) {
    const refused = targets.filter((target) => !allowed.includes(target));
    if (refused.length > 0) throw new OAuthError('invalid_target', 'the requested resource or audience is not allowed', 'target_not_allowed');
  }
  return [...targets];
}

/** RFC 8693 §2.1: every `resource` (an absolute URI without a fragment, RFC 8707 §2) and every `audience`, without repeats. */
export function requestedTargetLists(resources: readonly string[], audiences: readonly string[]): string[] {
  const targets: string[] = [];
  for (const resource of resources) {
    if (!isAbsoluteUriWithoutFragment(resource)) {
      throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment', 'resource_malformed');
    }
    if (!targets.includes(resource)) targets.push(resource);
  }
  for (const audience of audiences) if (!targets.includes(audience)) targets.push(audience);
  return targets;
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#');
  } catch {
    return false;
  }
}
