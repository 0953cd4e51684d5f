/**
 * TOKEN_SERVICE_WORKERS > 1: the primary process forks that many workers (Node cluster),
 * which share the listening port, so that one token-service uses every core it is given
 * (the token endpoint is CPU-bound: one signature check and one signature per request).
 * Each worker is a full replica (its own trust cache, keys, Redis and Postgres
 * connections), as separate replicas already are. Enforces:
 * - a worker that dies after it listened is replaced;
 * - a worker that exits on its own before it ever listened stops the whole service
 *   (fail closed: no restart loop on a bad configuration or an unreachable database);
 * - SIGTERM/SIGINT reach every worker; the primary exits when they all have.
 */
import cluster, { type Worker } from 'node:cluster';
import { serviceLogger } from '@trust-broker/service-kit/logging';

export function superviseWorkers(count: number): void {
  const logger = serviceLogger();
  const listened = new WeakSet<Worker>();
  let stopping = false;

  const fork = (): void => {
    const worker = cluster.fork();
    worker.once('listening', () => listened.add(worker));
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      // process.exitCode says whether this is a failure.
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
      return;
    }
    const how = signal ?? `code ${code}`;
    // Exited on its own before listening (bad config, no database): a restart would loop.
    // Killed by a signal (an operator, the OOM killer): replaced like any other.
    if (!listened.has(worker) && !signal) {
      logger.error(`worker ${worker.process.pid} exited (${how}) before it listened; stopping`);
      stopping = true;
      stopWorkers();
      // The worker's own code (78: cannot run as configured) tells a supervisor not to restart.
      process.exitCode = code || 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code || 1);
      return;
    }
    logger.warn(`worker ${worker.process.pid} exited (${how}); starting another`);
    fork();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      stopWorkers(signal);
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  }

  for (let i = 0; i < count; i += 1) fork();
  logger.info(`primary ${process.pid}: ${count} workers`);
}

function stopWorkers(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
}
