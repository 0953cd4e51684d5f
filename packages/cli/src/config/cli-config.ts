/**
 * Where the CLI sends its requests and with which credential: flags first, then the
 * environment, then what `npm start` wrote in its data folder (`.data/` of the working
 * directory, or TB_DATA_DIR): the URLs in broker.json, the admin key in
 * local-secrets.json; then the local defaults of CONTRACT.md. The only file that reads env.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface GlobalOptions {
  tokenUrl?: string;
  registryUrl?: string;
  auditUrl?: string;
  adminKey?: string;
  json?: boolean;
}

export interface CliConfig {
  tokenUrl: string;
  registryUrl: string;
  auditUrl: string;
  /** Undefined when none was found; commands that need it fail with a clear message. */
  adminKey: string | undefined;
  json: boolean;
}

export const DEFAULT_TOKEN_URL = 'http://localhost:8080/oauth2/token';
export const DEFAULT_REGISTRY_URL = 'http://localhost:8081';
export const DEFAULT_AUDIT_URL = 'http://localhost:8082';
export const LOCAL_SECRETS_FILE = join('.data', 'local-secrets.json');

type Env = Record<string, string | undefined>;

interface LocalBrokerState {
  token_url?: unknown;
  registry_url?: unknown;
  audit_url?: unknown;
}

function firstSet(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}

function readJsonObject(file: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The data folder of a local `npm start`: TB_DATA_DIR, else `.data` of the working directory. */
export function localDataDir(env: Env, cwd: string): string {
  return resolve(cwd, firstSet(env.TB_DATA_DIR) ?? '.data');
}

/** The admin key that `npm start` generated, if there is one. */
export function readLocalAdminKey(dataDir: string): string | undefined {
  return firstSet(readJsonObject(join(dataDir, 'local-secrets.json')).ADMIN_API_KEY);
}

export function resolveCliConfig(options: GlobalOptions, env: Env, cwd: string): CliConfig {
  const dataDir = localDataDir(env, cwd);
  const state = readJsonObject(join(dataDir, 'broker.json')) as LocalBrokerState;
  return {
    tokenUrl: firstSet(options.tokenUrl, env.TRUST_BROKER_TOKEN_URL, state.token_url) ?? DEFAULT_TOKEN_URL,
    registryUrl: firstSet(options.registryUrl, env.TRUST_BROKER_REGISTRY_URL, state.registry_url) ?? DEFAULT_REGISTRY_URL,
    auditUrl: firstSet(options.auditUrl, env.TRUST_BROKER_AUDIT_URL, state.audit_url) ?? DEFAULT_AUDIT_URL,
    adminKey: firstSet(options.adminKey, env.TRUST_BROKER_ADMIN_KEY, env.ADMIN_API_KEY) ?? readLocalAdminKey(dataDir),
    json: options.json === true,
  };
}
