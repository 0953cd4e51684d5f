/**
 * The local run's generated credentials. They are kept with the data they protect, so that
 * a second checkout (or a fresh clone) that uses the same database also uses the same keys:
 * - `.data/local-secrets.json` (mode 0600) of the checkout: every value in use (the CLI and
 *   the demo read the admin key there) and the embedded Postgres' password (its data is in
 *   `.data` too);
 * - for a Postgres server (not the embedded one), one file per database outside the checkout
 *   (`perDatabaseSecretsFile`): the admin key and KEY_ENCRYPTION_KEY of that database, written
 *   by the first checkout that used it and read by every later one.
 * Values set in the environment win and are never written to a file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Generators for each persisted secret.
 * @type {Record<string, () => string>}
 */
const GENERATORS = {
  ADMIN_API_KEY: () => randomBytes(32).toString('base64url'),
  // 32 bytes, base64: what CONTRACT.md asks for KEY_ENCRYPTION_KEY.
  KEY_ENCRYPTION_KEY: () => randomBytes(32).toString('base64'),
  // Only used when npm start runs its own embedded Postgres.
  EMBEDDED_POSTGRES_PASSWORD: () => randomBytes(18).toString('base64url'),
};

/** What protects a database's content, kept per database. */
export const DATABASE_SECRETS = ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY'];

/**
 * The values stored in `file`, none when it does not exist.
 * @param {string} file
 * @returns {Record<string, unknown>}
 */
export function readLocalSecrets(file) {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${/** @type {Error} */ (error).message}); fix or delete it (deleting it makes stored client secrets and keys unreadable)`);
  }
}

/**
 * @param {string} file
 * @param {Record<string, unknown>} values
 */
function writeSecrets(file, values) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * The secrets file of the database at `databaseUrl` (host, port and name; not the user):
 * `$TB_SECRETS_DIR`, else `$XDG_DATA_HOME/trust-broker/databases`, else
 * `~/.local/share/trust-broker/databases`, then `<host>-<port>-<database>.json`.
 * @param {string} databaseUrl
 * @param {NodeJS.ProcessEnv} env
 */
export function perDatabaseSecretsFile(databaseUrl, env) {
  const url = new URL(databaseUrl);
  const name = [url.hostname || 'localhost', url.port || '5432', decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres']
    .map((part) => part.replace(/[^A-Za-z0-9_.]/g, '_'))
    .join('-');
  const base = env.TB_SECRETS_DIR || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'trust-broker', 'databases');
  return join(base, `${name}.json`);
}

/**
 * Returns the secrets `names` (default: all): from env when set there, else from `file`,
 * else from `databaseFile` (the database's own, when given), else generated now. `file` is
 * (re)written with mode 0600 whenever it gains a value; `databaseFile` is written once, when
 * it does not exist yet, with the values this checkout uses (never overwritten: another
 * checkout may rely on it).
 * @param {string} file
 * @param {NodeJS.ProcessEnv} env
 * @param {{ names?: string[], databaseFile?: string }} [options]
 * @returns {Record<string, string>}
 */
export function loadOrCreateLocalSecrets(file, env, { names = Object.keys(GENERATORS), databaseFile } = {}) {
  const stored = readLocalSecrets(file);
  /** @type {Record<string, unknown>} */
  const shared = databaseFile ? readLocalSecrets(databaseFile) : {};
  let changed = false;
  /** @type {Record<string, string>} */
  const result = {};
  for (const name of names) {
    if (env[name]) {
      result[name] = env[name];
      continue;
    }
    const storedValue = stored[name];
    if (typeof storedValue === 'string' && storedValue !== '') {
      result[name] = storedValue;
      continue;
    }
    const databaseValue = shared[name];
    stored[name] = result[name] = typeof databaseValue === 'string' && databaseValue !== '' ? databaseValue : GENERATORS[name]();
    changed = true;
  }
  if (changed) writeSecrets(file, stored);
  else if (existsSync(file)) chmodSync(file, 0o600);
  if (databaseFile && !existsSync(databaseFile)) {
    const values = Object.fromEntries(DATABASE_SECRETS.filter((name) => !env[name] && result[name]).map((name) => [name, result[name]]));
    if (Object.keys(values).length > 0) writeSecrets(databaseFile, values);
  }
  return result;
}
