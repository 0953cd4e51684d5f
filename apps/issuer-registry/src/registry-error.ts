/**
 * The registry's domain errors: each feature lists its codes with their kind
 * (`issuers.errors.ts`, `clients.errors.ts`, ...) and takes its error class from that
 * table, so a code cannot be thrown with another kind. Service-kit's one `HttpErrorFilter`
 * answers the kinds: `invalid` 400 `invalid_request`, `not_found` 404, `conflict` 409, with
 * the message as `error_description` and the code as the reason.
 */
import { DomainError, type DomainErrorKind } from '@trust-broker/service-kit';

/** The base class of one feature's errors: `class IssuerError extends domainErrors(ISSUER_ERROR_KINDS) {}`. */
export function domainErrors<Code extends string>(kinds: Readonly<Record<Code, DomainErrorKind>>) {
  return class extends DomainError {
    declare readonly code: Code;

    constructor(code: Code, message: string) {
      super(code, kinds[code], message);
      this.name = new.target.name;
    }
  };
}
