/**
 * Runs the services as child processes: every output line prefixed with the service
 * name, a crashed service reported and restarted with exponential backoff (reset once
 * it has stayed up a while), and stop() ends them all (SIGTERM, then SIGKILL). A service
 * that exits with EXIT_CONFIG (78, sysexits' EX_CONFIG: it cannot run as configured) is
 * not restarted, since a restart would only fail the same way: `onGiveUp` is called with
 * its last lines instead.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const COLOURS = ['\u001b[36m', '\u001b[35m', '\u001b[33m', '\u001b[32m'];
const RESET = '\u001b[0m';
/** sysexits.h EX_CONFIG: the services exit with it when a restart cannot help. */
export const EXIT_CONFIG = 78;
const KEPT_LINES = 20;

/**
 * @typedef {{ name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string }} ServiceSpec
 * @typedef {ServiceSpec & { child: import('node:child_process').ChildProcess | undefined, restarts: number, startedAt: number,
 *   timer: NodeJS.Timeout | undefined, lastLines: string[] }} Service a service and its running child, if any
 */

/**
 * Backoff before restart number `attempt` (1-based): 1 s, 2 s, 4 s, ... capped.
 * @param {number} attempt
 * @param {number} [initialMs]
 * @param {number} [maxMs]
 */
export function restartDelayMs(attempt, initialMs = 1000, maxMs = 30000) {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

export class Supervisor {
  /**
   * @param {ServiceSpec[]} services
   * @param {{ write?: (line: string) => void, colour?: boolean, initialBackoffMs?: number, maxBackoffMs?: number, stableAfterMs?: number, stopGraceMs?: number, onGiveUp?: (name: string, lastLines: string[]) => void }} [options]
   */
  constructor(services, options = {}) {
    /** @type {Service[]} */
    this.services = services.map((service) => ({ ...service, child: undefined, restarts: 0, startedAt: 0, timer: undefined, lastLines: [] }));
    this.onGiveUp = options.onGiveUp ?? (() => {});
    /** @type {(line: string) => void} */
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.colour = options.colour ?? process.stdout.isTTY === true;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30000;
    this.stableAfterMs = options.stableAfterMs ?? 30000;
    this.stopGraceMs = options.stopGraceMs ?? 10000;
    this.stopping = false;
    this.width = Math.max(...services.map((service) => service.name.length));
  }

  /** @param {Service} service */
  prefix(service) {
    const index = this.services.indexOf(service);
    const label = service.name.padEnd(this.width);
    return this.colour ? `${COLOURS[index % COLOURS.length]}${label}${RESET} |` : `${label} |`;
  }

  /**
   * A line from the supervisor itself about one service.
   * @param {Service} service
   * @param {string} message
   */
  report(service, message) {
    this.write(`${this.prefix(service)} [supervisor] ${message}`);
  }

  start() {
    for (const service of this.services) this.launch(service);
  }

  /** @param {Service} service */
  launch(service) {
    service.startedAt = Date.now();
    const child = spawn(service.command, service.args, { cwd: service.cwd, env: service.env, stdio: ['ignore', 'pipe', 'pipe'] });
    service.child = child;
    if (child.pid !== undefined) this.report(service, `started (pid ${child.pid})`);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        service.lastLines.push(line);
        if (service.lastLines.length > KEPT_LINES) service.lastLines.shift();
        this.write(`${this.prefix(service)} ${line}`);
      });
    }
    child.once('error', (error) => this.report(service, `could not start: ${error.message}`));
    child.once('exit', (code, signal) => this.onExit(service, child, code, signal));
  }

  /**
   * @param {Service} service
   * @param {import('node:child_process').ChildProcess} child
   * @param {number | null} code
   * @param {NodeJS.Signals | null} signal
   */
  onExit(service, child, code, signal) {
    if (service.child !== child) return;
    service.child = undefined;
    if (this.stopping) return;
    if (code === EXIT_CONFIG) {
      this.report(service, `exited (code ${code}: it cannot run as configured); not restarted`);
      // Once its output is read to the end ('close' follows 'exit').
      child.once('close', () => this.onGiveUp(service.name, [...service.lastLines]));
      return;
    }
    if (Date.now() - service.startedAt >= this.stableAfterMs) service.restarts = 0;
    service.restarts += 1;
    const delay = restartDelayMs(service.restarts, this.initialBackoffMs, this.maxBackoffMs);
    this.report(service, `exited (${signal ?? `code ${code}`}); restart ${service.restarts} in ${Math.round(delay / 100) / 10} s`);
    service.timer = setTimeout(() => {
      service.timer = undefined;
      if (!this.stopping) this.launch(service);
    }, delay);
  }

  /**
   * Pid of the running child of a service, for tests and reports.
   * @param {string} name
   */
  pidOf(name) {
    return this.services.find((service) => service.name === name)?.child?.pid;
  }

  /** @param {string} name */
  restartsOf(name) {
    return this.services.find((service) => service.name === name)?.restarts ?? 0;
  }

  async stop() {
    this.stopping = true;
    await Promise.all(
      this.services.map(async (service) => {
        if (service.timer) clearTimeout(service.timer);
        const child = service.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => {
          this.report(service, `did not stop within ${this.stopGraceMs / 1000} s: SIGKILL`);
          child.kill('SIGKILL');
        }, this.stopGraceMs);
        await exited;
        clearTimeout(killTimer);
      }),
    );
  }
}
