/**
 * A stand-in for the npm registry during image builds: an HTTP server on 127.0.0.1 that
 * serves exactly the packages of the repository's package-lock.json, from this machine's
 * npm cache (filled by the `npm ci` that ran before the tests). `docker build` runs with
 * the host network and NPM_CONFIG_REGISTRY pointing here, so no build step talks to any
 * address outside this machine. npm replaces the registry.npmjs.org host of the lockfile's
 * `resolved` URLs with the configured registry (replace-registry-host=npmjs, its default);
 * where the lockfile has no `resolved`, npm reads each package's packument from here.
 *
 * Packuments are made from the lockfile's entries (name, version, dist, dependencies,
 * os/cpu), enough for `npm install --global <pkg>@<exact version>`. A tarball missing
 * from the cache is added to it with `npm cache add` first (the host's own registry).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  bin?: Record<string, string> | string;
  engines?: Record<string, string>;
  link?: boolean;
  hasInstallScript?: boolean;
}

export interface LockfileRegistry {
  url: string;
  requests: string[];
  misses: string[];
  close(): Promise<void>;
}

const NPMJS = 'https://registry.npmjs.org/';

function npmCacheDir(): string {
  try {
    return join(execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', cwd: tmpdir() }).trim(), '_cacache');
  } catch {
    return join(homedir(), '.npm', '_cacache');
  }
}

function contentPath(cache: string, integrity: string): string {
  const [algorithm, base64] = integrity.split(' ')[0]!.split('-', 2) as [string, string];
  const hex = Buffer.from(base64, 'base64').toString('hex');
  return join(cache, 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

export async function startLockfileRegistry(lockfiles: string[]): Promise<LockfileRegistry> {
  const cache = npmCacheDir();
  const tarballs = new Map<string, { integrity: string; spec: string }>(); // URL path -> integrity
  const packuments = new Map<string, Map<string, LockEntry>>(); // name -> version -> entry
  for (const file of lockfiles) {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, LockEntry> };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.includes('node_modules/') || entry.link || !entry.integrity || !entry.version) continue;
      if (entry.resolved && !entry.resolved.startsWith(NPMJS)) continue; // git, file: not the registry's
      const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      // A lockfile written without `resolved` (omit-lockfile-registry-resolved) leaves npm
      // to ask the registry for the packument and take dist.tarball from it.
      const urlPath = entry.resolved ? `/${entry.resolved.slice(NPMJS.length)}` : `/${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${entry.version}.tgz`;
      entry.resolved = `${NPMJS}${urlPath.slice(1)}`;
      tarballs.set(urlPath, { integrity: entry.integrity, spec: `${name}@${entry.version}` });
      if (!packuments.has(name)) packuments.set(name, new Map());
      packuments.get(name)!.set(entry.version, entry);
    }
  }

  const requests: string[] = [];
  const misses: string[] = [];
  let base = '';
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    requests.push(path);
    const tarball = tarballs.get(path);
    if (tarball) {
      let file = contentPath(cache, tarball.integrity);
      if (!existsSync(file)) {
        execFileSync('npm', ['cache', 'add', tarball.spec], { stdio: 'ignore', cwd: tmpdir() });
        file = contentPath(cache, tarball.integrity);
      }
      if (!existsSync(file)) {
        misses.push(path);
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(response);
      return;
    }
    const name = path.slice(1).replace(/%2f/gi, '/');
    const versions = packuments.get(name);
    if (!versions) {
      misses.push(path);
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const manifest = Object.fromEntries(
      [...versions].map(([version, entry]) => [
        version,
        {
          name,
          version,
          dependencies: entry.dependencies,
          optionalDependencies: entry.optionalDependencies,
          peerDependencies: entry.peerDependencies,
          os: entry.os,
          cpu: entry.cpu,
          libc: entry.libc,
          bin: entry.bin,
          engines: entry.engines,
          hasInstallScript: entry.hasInstallScript,
          dist: { tarball: `${base}${entry.resolved!.slice(NPMJS.length)}`, integrity: entry.integrity },
        },
      ]),
    );
    const latest = [...versions.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1)!;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ name, 'dist-tags': { latest }, versions: manifest }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    misses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
