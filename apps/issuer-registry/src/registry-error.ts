/**
 * The registry's domain errors: each feature lists its codes under their kind
 * (`issuers.errors.ts`, `clients.errors.ts`, ...) and takes its error class from that list,
 * so a code cannot be thrown with another kind. Service-kit's one `HttpErrorFilter`
 * answers the kinds: `invalid` 400 `invalid_request`, `not_found` 404, `conflict` 409,
 * `dependency_unavailable` 503 `temporarily_unavailable` with `Retry-After`, with the message
 * as `error_description` and the code as the reason.
 */
import { DomainError, type DomainErrorKind } from '@trust-broker/service-kit/errors';

type CodesByKind = { readonly [K in DomainErrorKind]?: readonly string[] };

/** Every code of a feature's list. */
export type CodeOf<Codes extends CodesByKind> = { [K in keyof Codes]: Codes[K] extends readonly (infer Code extends string)[] ? Code : never }[keyof Codes];

/** The base class of one feature's errors: `class IssuerError extends domainErrors({ not_found: ['issuer_not_found'], ... }) {}`. */
export function domainErrors<const Codes extends CodesByKind>(codes: Codes) {
  const kindOf = new Map<string, DomainErrorKind>();
  for (const [kind, names] of Object.entries(codes) as [DomainErrorKind, readonly string[]][]) for (const name of names) kindOf.set(name, kind);
  return class extends DomainError {
    declare readonly code: CodeOf<Codes>;

    constructor(code: CodeOf<Codes>, message: string) {
      super(code, kindOf.get(code)!, message);
      this.name = new.target.name;
    }
  };
}
