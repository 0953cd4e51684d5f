/**
 * Whether this process tracks promises for async context: an AsyncLocalStorage in use, or
 * any async_hooks hook enabled. Node then runs a hook for every promise and gives each one
 * its async ids as own symbol properties (what cost the token grant ~16 KB per request on
 * Node 20, bench/README.md); without hooks a promise has none.
 */
export async function promisesTrackedByAsyncHooks(): Promise<boolean> {
  const resolved = Promise.resolve();
  const reacted = resolved.then(() => undefined);
  await reacted;
  return Object.getOwnPropertySymbols(resolved).length + Object.getOwnPropertySymbols(reacted).length > 0;
}

/** What promise-hook-probe.ts prints on stderr: once on start, and once if promises are tracked. */
export const PROBE_WATCHING = 'promise-hook-probe: watching';
export const PROBE_TRACKED = 'promise-hook-probe: promises are tracked by async hooks';

/**
 * The environment that preloads promise-hook-probe.ts into a service a test starts; its
 * stderr then says PROBE_WATCHING, and PROBE_TRACKED once promises are tracked.
 */
export function promiseHookProbeEnv(): Record<string, string> {
  const probe = require.resolve('./promise-hook-probe');
  return { PROMISE_HOOK_PROBE: '1', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${probe}`.trim() };
}
