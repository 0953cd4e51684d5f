/**
 * Preloaded into a service under test (`promiseHookProbeEnv()`: `node --require`): every
 * 100 ms it checks whether promises are tracked by async hooks (an AsyncLocalStorage in use
 * or any async_hooks hook enabled) and says so once on stderr, so that a test can prove a
 * service serves its requests without them.
 */
import { PROBE_TRACKED, PROBE_WATCHING, promisesTrackedByAsyncHooks } from './promise-hooks';

if (process.env.PROMISE_HOOK_PROBE === '1') {
  process.stderr.write(`${PROBE_WATCHING}\n`);
  const timer = setInterval(() => {
    void promisesTrackedByAsyncHooks().then((tracked) => {
      if (!tracked) return;
      process.stderr.write(`${PROBE_TRACKED}\n`);
      clearInterval(timer);
    });
  }, 100);
  timer.unref();
}
