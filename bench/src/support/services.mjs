/**
 * The broker's apps as the benches run them: each app's built dist/main.js, its migrations
 * first, then the service on a port the bench chose, until /readyz answers.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import testing from '@trust-broker/testing';

const { startNodeProcess, waitForHttp } = testing;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const mainOf = (/** @type {string} */ app) => join(ROOT, 'apps', app, 'dist', 'main.js');

/**
 * `node apps/<app>/dist/main.js migrate`; rejects with its output when it fails.
 * @param {string} app
 * @param {Record<string, string>} env
 * @returns {Promise<void>}
 */
export function migrate(app, env) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [mainOf(app), 'migrate'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${app} migrate exited ${code}: ${output}`))));
  });
}

/**
 * Starts `app` (with `nodeArgs` before its script, e.g. --cpu-prof) and waits until it answers /readyz on `port`.
 * @param {string} app
 * @param {Record<string, string>} env
 * @param {number} port
 * @param {string[]} [nodeArgs]
 * @returns {Promise<import('@trust-broker/testing').RunningProcess>}
 */
export async function startService(app, env, port, nodeArgs = []) {
  const script = mainOf(app);
  // startNodeProcess runs `node <first> ...rest`, so node flags can go first.
  const proc = nodeArgs.length > 0 ? startNodeProcess(nodeArgs[0], env, [...nodeArgs.slice(1), script]) : startNodeProcess(script, env);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000);
  } catch (error) {
    await proc.stop();
    throw new Error(`${app} did not become ready: ${/** @type {Error} */ (error).message}\n${proc.output()}`);
  }
  return proc;
}
