/** The caller's clock in whole seconds since the epoch (RFC 7519 §2 NumericDate); tests and replicas pass their own. */
export function nowInSeconds(ctx: { now?: (() => number) | undefined }): number {
  return Math.floor((ctx.now ?? Date.now)() / 1000);
}
