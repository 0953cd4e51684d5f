/**
 * A Docker engine for the compose test: the one at DOCKER_HOST or /var/run/docker.sock
 * when it answers; otherwise a private `dockerd` started here (as root, from Debian's
 * docker.io) with its own data root, exec root, socket and pidfile, no iptables rules and
 * no default bridge. Storage: overlay2 where the kernel and file system allow it (a layer
 * costs only its own files), else vfs (every layer a full copy: slower, works anywhere);
 * TB_DOCKER_STORAGE_DRIVER forces one. `stop()` stops only that private one. Its data root
 * lives in the image cache, one per driver, so images built by one run are there for the next.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Engine {
  /** DOCKER_HOST value for the docker and docker-compose clients. */
  host: string;
  /** true when this test started the daemon (and will stop it). */
  private: boolean;
  /** The 20.10 client from docker.io when present (it speaks to the 20.10 daemon without buildx). */
  docker: string;
  /** The private engine's storage driver (undefined for an engine already running). */
  storageDriver?: string;
  stop(): Promise<void>;
}

export type EngineResult = { engine: Engine } | { skip: string };

function which(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function dockerClient(): string | undefined {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : which('docker');
}

function answers(docker: string, host: string): boolean {
  return spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore', timeout: 20_000 }).status === 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startDockerd(dockerd: string, docker: string, cacheDir: string, driver: string): Promise<{ child: ChildProcess; host: string; runDir: string } | { failure: string }> {
  const runDir = `/run/trust-broker-compose-test-${process.pid}-${driver}`;
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const dataRoot = join(cacheDir, `docker-${driver}`);
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const host = `unix://${runDir}/docker.sock`;
  const logFile = join(runDir, 'dockerd.log');
  const child: ChildProcess = spawn(
    dockerd,
    [
      `--storage-driver=${driver}`,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--bridge=none',
      `--data-root=${dataRoot}`,
      `--exec-root=${join(runDir, 'exec')}`,
      `--host=${host}`,
      `--pidfile=${join(runDir, 'docker.pid')}`,
    ],
    { stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')] },
  );
  const deadline = Date.now() + 60_000;
  while (!answers(docker, host)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-1500) : '';
      return { failure: `${child.exitCode !== null ? `exit ${child.exitCode}` : 'no answer in 60 s'}\n${log}` };
    }
    await sleep(500);
  }
  return { child, host, runDir };
}

export async function acquireEngine(cacheDir: string): Promise<EngineResult> {
  const docker = dockerClient();
  if (!docker) return { skip: 'no docker client: install Debian\'s docker.io (.ci/run does)' };
  for (const host of [process.env.DOCKER_HOST, 'unix:///var/run/docker.sock'].filter((h): h is string => !!h)) {
    if (answers(docker, host)) return { engine: { host, private: false, docker, stop: async () => undefined } };
  }
  const dockerd = which('dockerd');
  if (!dockerd) return { skip: 'no Docker engine answers and dockerd is not installed (Debian\'s docker.io provides it)' };
  if (process.getuid?.() !== 0) return { skip: 'no Docker engine answers, and starting a private dockerd needs root' };

  const drivers = process.env.TB_DOCKER_STORAGE_DRIVER ? [process.env.TB_DOCKER_STORAGE_DRIVER] : ['overlay2', 'vfs'];
  let started: { child: ChildProcess; host: string; runDir: string; driver: string } | undefined;
  const failures: string[] = [];
  for (const driver of drivers) {
    const attempt = await startDockerd(dockerd, docker, cacheDir, driver);
    if ('child' in attempt) {
      started = { ...attempt, driver };
      break;
    }
    failures.push(`${driver}: ${attempt.failure}`);
  }
  if (!started) return { skip: `a private dockerd could not start here:\n${failures.join('\n')}` };
  const { child, host, runDir, driver } = started;
  return {
    engine: {
      host,
      private: true,
      docker,
      storageDriver: driver,
      stop: async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        // The grace timer is cleared once dockerd is gone: left pending, it kept jest's
        // process alive up to 30 s after the suite ("Jest did not exit one second after").
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (grace = setTimeout(resolve, 30_000)))]);
        clearTimeout(grace);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        // What dockerd leaves mounted under its exec root (the default network namespace).
        const mounts = readFileSync('/proc/self/mounts', 'utf8')
          .split('\n')
          .map((line) => line.split(' ')[1] ?? '')
          .filter((point) => point.startsWith(`${runDir}/`))
          .sort((a, b) => b.length - a.length);
        for (const point of mounts) {
          try {
            execFileSync('umount', [point], { stdio: 'ignore' });
          } catch {
            // already gone
          }
        }
        rmSync(runDir, { recursive: true, force: true });
      },
    },
  };
}
