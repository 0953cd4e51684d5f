/**
 * The probe that other suites preload into real services (@trust-broker/testing
 * `promiseHookProbeEnv`) must notice an AsyncLocalStorage or an async_hooks hook, or its
 * silence would prove nothing. (Jest itself runs an AsyncLocalStorage, so a test cannot
 * check its own process: the services are checked as the processes they run as.)
 */
import { spawn } from 'node:child_process';
import { PROBE_TRACKED, PROBE_WATCHING, promiseHookProbeEnv } from '@trust-broker/testing';

function stderrOf(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...promiseHookProbeEnv() }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(stderr));
  });
}

describe('promise-hook probe', () => {
  it.each([
    ['an AsyncLocalStorage in use', "new (require('node:async_hooks').AsyncLocalStorage)().run({}, () => undefined)"],
    ['an async_hooks hook with init', "require('node:async_hooks').createHook({ init() {} }).enable()"],
    ['an async_hooks hook with before only', "require('node:async_hooks').createHook({ before() {} }).enable()"],
  ])('says so for %s', async (_label, enable) => {
    const stderr = await stderrOf(`setTimeout(() => { ${enable}; }, 50); setTimeout(() => undefined, 600);`);
    expect(stderr).toContain(PROBE_WATCHING);
    expect(stderr).toContain(PROBE_TRACKED);
  });

  it('stays silent for a process without them', async () => {
    const stderr = await stderrOf("const { AsyncResource } = require('node:async_hooks'); setTimeout(() => AsyncResource.bind(() => undefined)(), 50); setTimeout(() => undefined, 600);");
    expect(stderr).toContain(PROBE_WATCHING);
    expect(stderr).not.toContain(PROBE_TRACKED);
  });
});
