/**
 * The local run's generated credentials, kept in .data/local-secrets.json (mode 0600)
 * so a restart keeps the same admin key and can still decrypt what it stored.
 * Values set in the environment win and are never written to the file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Generators for each persisted secret. */
const GENERATORS = {
  ADMIN_API_KEY: () => randomBytes(32).toString('base64url'),
  // 32 bytes, base64: what CONTRACT.md asks for KEY_ENCRYPTION_KEY.
  KEY_ENCRYPTION_KEY: () => randomBytes(32).toString('base64'),
  // Only used when npm start runs its own embedded Postgres.
  EMBEDDED_POSTGRES_PASSWORD: () => randomBytes(18).toString('base64url'),
};

export function readLocalSecrets(file) {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${error.message}); fix or delete it (deleting it makes stored client secrets and keys unreadable)`);
  }
}

/**
 * Returns every secret: from env when set there, else from the file, else generated
 * now and saved. The file is (re)written with mode 0600 whenever it gains a value.
 */
export function loadOrCreateLocalSecrets(file, env) {
  const stored = readLocalSecrets(file);
  let changed = false;
  const result = {};
  for (const [name, generate] of Object.entries(GENERATORS)) {
    if (env[name]) {
      result[name] = env[name];
      continue;
    }
    if (typeof stored[name] !== 'string' || stored[name] === '') {
      stored[name] = generate();
      changed = true;
    }
    result[name] = stored[name];
  }
  if (changed || existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (changed) writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return result;
}
