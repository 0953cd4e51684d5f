/**
 * Redis for a local run: the one at REDIS_URL when it answers; else, when that URL
 * points at this machine and `redis-server` is installed, one started here with its
 * data under .data/redis and AOF on (the audit queue must survive a restart).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLocalHost, redisAnswers, waitFor } from './probes.mjs';

export const NO_REDIS_HELP = [
  'Start one, then run npm start again:',
  '  docker compose up -d redis          (uses docker-compose.yml of this repo)',
  '  or install the OS package:  sudo apt-get install redis-server  /  brew install redis',
  'or set REDIS_URL to a Redis that runs.',
].join('\n');

export function redisServerInstalled() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * @param {{ redisUrl: string, dataDir: string, log: (message: string) => void }} options
 * @returns {Promise<{ redisUrl: string, started: boolean, stop: () => Promise<void> }>}
 */
export async function ensureRedis({ redisUrl, dataDir, log }) {
  if (await redisAnswers(redisUrl)) return { redisUrl, started: false, stop: async () => {} };
  const { hostname, port } = new URL(redisUrl);
  const portNumber = Number(port || 6379);
  if (!isLocalHost(hostname)) throw new Error(`no Redis answers at ${redisUrl} (REDIS_URL).\n${NO_REDIS_HELP}`);
  if (!redisServerInstalled()) throw new Error(`no Redis answers at ${redisUrl} and redis-server is not installed.\n${NO_REDIS_HELP}`);
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  log(`no Redis answers at ${redisUrl}: starting redis-server (data under ${dir}, AOF on)`);
  const child = spawn(
    'redis-server',
    ['--port', String(portNumber), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let failure = '';
  child.stderr.on('data', (chunk) => (failure += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor('redis-server answering PING', async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${failure.trim()}`);
    return redisAnswers(redisUrl);
  }, 15000);
  return {
    redisUrl,
    started: true,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
