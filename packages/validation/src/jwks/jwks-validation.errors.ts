/** A public key set that must not be registered; `field` is the JSON path of the offending member (e.g. `keys[2].kid`). */
export class JwksValidationError extends Error {
  readonly code = 'jwks_invalid';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'JwksValidationError';
  }
}
