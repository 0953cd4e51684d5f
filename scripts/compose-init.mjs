#!/usr/bin/env node
/**
 * `npm run compose:init`: writes .env for docker-compose from .env.example, with fresh
 * secrets (ADMIN_API_KEY, KEY_ENCRYPTION_KEY, POSTGRES_PASSWORD), readable by the owner
 * only (mode 600). Refuses to replace an existing file: its KEY_ENCRYPTION_KEY protects
 * the signing keys already in the database (see infra/README.md, "Key rotation").
 *
 *   npm run compose:init                 # ./.env
 *   npm run compose:init -- --out <file> # elsewhere (the compose test uses this)
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {Record<string, string>} ADMIN_API_KEY, KEY_ENCRYPTION_KEY and POSTGRES_PASSWORD */
export function freshSecrets() {
  return {
    ADMIN_API_KEY: randomBytes(32).toString('base64url'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    POSTGRES_PASSWORD: randomBytes(24).toString('base64url'),
  };
}

/**
 * .env.example with each secret filled in; every other line as it is.
 * @param {string} template
 * @param {Record<string, string>} secrets
 */
export function renderEnv(template, secrets) {
  return template
    .split('\n')
    .map((line) => {
      const name = /^([A-Z_]+)=$/.exec(line)?.[1];
      return name && name in secrets ? `${name}=${secrets[name]}` : line;
    })
    .join('\n');
}

/** @param {string[]} argv */
function main(argv) {
  let out = join(ROOT, '.env');
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--out') out = resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${argv[i]} (known: --out <file>)`);
  }
  const secrets = freshSecrets();
  const content = renderEnv(readFileSync(join(ROOT, '.env.example'), 'utf8'), secrets);
  for (const name of Object.keys(secrets)) {
    if (!content.includes(`\n${name}=${secrets[name]}\n`)) throw new Error(`.env.example has no empty ${name}= line`);
  }
  let fd;
  try {
    // O_EXCL: never replace a .env (and the key that protects the data); 0600 from creation.
    fd = openSync(out, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EEXIST') {
      process.stderr.write(`compose:init: ${out} exists; it is left as it is (delete it first to start over with new secrets and an empty database)\n`);
      process.exit(1);
    }
    throw error;
  }
  writeSync(fd, content);
  closeSync(fd);
  process.stdout.write(`compose:init: wrote ${out} (mode 600) with a fresh ADMIN_API_KEY, KEY_ENCRYPTION_KEY and POSTGRES_PASSWORD\n`);
  process.stdout.write(`next: docker compose up -d --build   (the admin key is ADMIN_API_KEY in that file)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
