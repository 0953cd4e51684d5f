/**
 * Where the CLI sends its requests and with which credential: flags first, then the
 * environment, then the local defaults of CONTRACT.md, then (admin key only) the
 * `.data/local-secrets.json` that `npm start` writes. The only file that reads env.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

function firstSet(...values: Array<string | undefined>): string | undefined {
  return values.find((value) => value !== undefined && value !== '');
}

/** The admin key that `npm start` generated in this directory, if there is one. */
export function readLocalAdminKey(cwd: string): string | undefined {
  try {
    const secrets = JSON.parse(readFileSync(join(cwd, LOCAL_SECRETS_FILE), 'utf8')) as { ADMIN_API_KEY?: unknown };
    return typeof secrets.ADMIN_API_KEY === 'string' ? secrets.ADMIN_API_KEY : undefined;
  } catch {
    return undefined;
  }
}

export function resolveCliConfig(options: GlobalOptions, env: Env, cwd: string): CliConfig {
  return {
    tokenUrl: firstSet(options.tokenUrl, env.TRUST_BROKER_TOKEN_URL) ?? DEFAULT_TOKEN_URL,
    registryUrl: firstSet(options.registryUrl, env.TRUST_BROKER_REGISTRY_URL) ?? DEFAULT_REGISTRY_URL,
    auditUrl: firstSet(options.auditUrl, env.TRUST_BROKER_AUDIT_URL) ?? DEFAULT_AUDIT_URL,
    adminKey: firstSet(options.adminKey, env.TRUST_BROKER_ADMIN_KEY, env.ADMIN_API_KEY) ?? readLocalAdminKey(cwd),
    json: options.json === true,
  };
}
