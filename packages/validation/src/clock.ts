/**
 * The caller's clock in whole seconds since the epoch (RFC 7519 §2 NumericDate); tests
 * and replicas pass their own. A clock that answers nothing usable fails closed.
 */
export function nowInSeconds(ctx: { now?: (() => number) | undefined }): number {
  const millis = (ctx.now ?? Date.now)();
  if (typeof millis !== 'number' || !Number.isFinite(millis)) throw new TypeError('The clock did not return a finite time');
  return Math.floor(millis / 1000);
}
