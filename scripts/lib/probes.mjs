/**
 * Small probes that tell whether something answers, without any dependency beyond
 * Node: a TCP connect, a Redis PING over RESP, an HTTP GET.
 */
import { connect, createServer } from 'node:net';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '']);

/** @param {string} hostname */
export function isLocalHost(hostname) {
  return LOCAL_HOSTS.has(hostname);
}

/**
 * Resolves true when a TCP connection to host:port opens within timeoutMs.
 * @param {string} host
 * @param {number} port
 * @param {number} [timeoutMs]
 * @returns {Promise<boolean>}
 */
export function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * True when a Redis server answers PING (a NOAUTH error also proves one is there).
 * @param {string} url
 * @param {number} [timeoutMs]
 * @returns {Promise<boolean>}
 */
export function redisAnswers(url, timeoutMs = 1000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    let reply = '';
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('error', () => done(false));
  });
}

/**
 * True when nothing listens on the port of 0.0.0.0 (where the services bind).
 * @param {number} port
 * @returns {Promise<boolean>}
 */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/**
 * The status `url` answers a GET with, 0 when it does not answer within timeoutMs.
 * @param {string} url
 * @param {number} [timeoutMs]
 */
export async function httpStatus(url, timeoutMs = 2000) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

export const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until check() returns a truthy value, and returns it; throws with `what` after timeoutMs. A check that throws ends the wait.
 * @template T
 * @param {string} what
 * @param {() => T | Promise<T>} check
 * @param {number} timeoutMs
 * @param {number} [stepMs]
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(what, check, timeoutMs, stepMs = 200) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(stepMs);
  }
  throw new Error(`${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
}
