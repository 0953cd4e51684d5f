/**
 * Typed configuration, read once: each app declares a zod schema over the environment
 * (`commonEnvShape`, the settings every service shares, plus its own); `loadConfig` parses it
 * and, on failure, throws a `ConfigError` that names every bad variable (the app's `main.ts`
 * prints it and exits); `commonConfigOf` gives the shared part of each app's typed config.
 * Nothing else reads `process.env`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { LOG_LEVELS, type LogFormat, type LogLevelName, type LogSettings } from './log-settings';
import { parseClusterNodes, type RedisClusterSeeds } from './redis-cluster-nodes';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with `schema`. `besides`: problems the app found beside the schema (checks
 * zod would skip once a field is bad, such as a variable required in production), listed
 * after the schema's so that every problem is named at once.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, besides: readonly string[] = []): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success && besides.length === 0) return result.data;
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const variable = issue.path.join('.') || '(environment)';
        return `${variable}: ${issue.message}`;
      });
  throw new ConfigError([...problems, ...besides]);
}

/**
 * The problems of the variables a production process cannot run without (a key or credential
 * generated for the run would be lost at restart), in the one wording every app prints; for
 * `loadConfig`'s `besides`. Empty or blank counts as missing.
 */
export function missingInProduction(env: Record<string, string | undefined>, variables: readonly string[]): string[] {
  if (env.NODE_ENV !== 'production') return [];
  return variables.filter((variable) => !env[variable]?.trim()).map((variable) => `${variable}: required when NODE_ENV=production`);
}

/** `true`/`false`/`1`/`0` (case-insensitive) to a boolean; anything else is an error. */
export const booleanFromEnv = (defaultValue: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return defaultValue;
      const v = value.toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
      return z.NEVER;
    });

export const portFromEnv = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65535).default(defaultPort);

/** A URL with one of the given protocols. */
export const urlFromEnv = (protocols: string[], defaultValue?: string) => {
  const base = z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL (${protocols.join(', ')})` },
  );
  return defaultValue === undefined ? base : base.default(defaultValue);
};

/**
 * TRUST_PROXY: comma-separated addresses or CIDRs (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`)
 * of the reverse proxies whose X-Forwarded-For is believed. Empty: none.
 */
export const trustProxyFromEnv = () =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const entries = (value ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      for (const entry of entries) {
        if (!isAddressOrCidr(entry)) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)` });
          return z.NEVER;
        }
      }
      return entries;
    });

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** CONTRACT.md: `json` by default in production, `pretty` otherwise. */
export function defaultLogFormat(nodeEnv: string | undefined): LogFormat {
  return nodeEnv === 'production' ? 'json' : 'pretty';
}

/**
 * The log settings of `env` before its configuration is validated, so that a bad
 * configuration is itself reported in the right format: a bad value falls back to its
 * default here and is named by the validation that follows.
 */
export function bootLogSettings(service: string, env: Record<string, string | undefined>): LogSettings {
  const level = (LOG_LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevelName) : 'info';
  const format = env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty' ? env.LOG_FORMAT : defaultLogFormat(env.NODE_ENV);
  return { service, level, format };
}

/** Settings every service shares (CONTRACT.md, "Processes, ports, settings"). */
export const commonEnvShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: urlFromEnv(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/trust_broker'),
  REDIS_URL: urlFromEnv(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Seeds of a Redis Cluster (`host:port,host:port`); when set, REDIS_URL is not used. */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((value, ctx): RedisClusterSeeds | undefined => {
      if (value === undefined || value.trim() === '') return undefined;
      try {
        return parseClusterNodes(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Prefix of every Redis key, queue and channel of this deployment (tests use a fresh one). */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only').default('tb'),
  BROKER_ISSUER: urlFromEnv(['http:', 'https:'], 'http://localhost:8080').transform((v) => v.replace(/\/+$/, '')),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** `json` or `pretty`; unset: `defaultLogFormat(NODE_ENV)`. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  TRUST_PROXY: trustProxyFromEnv(),
};

/** `commonEnvShape` as parsed. */
export type CommonEnv = z.infer<z.ZodObject<typeof commonEnvShape>>;

/** The log settings of a parsed `commonEnvShape`. */
export function logSettingsOf(service: string, parsed: { NODE_ENV: string; LOG_LEVEL: LogLevelName; LOG_FORMAT?: LogFormat | undefined }): LogSettings {
  return { service, level: parsed.LOG_LEVEL, format: parsed.LOG_FORMAT ?? defaultLogFormat(parsed.NODE_ENV) };
}

/** What every service's typed config holds of `commonEnvShape`; each app's config extends it with its own settings. */
export interface CommonConfig {
  nodeEnv: CommonEnv['NODE_ENV'];
  databaseUrl: string;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: set means every connection goes to this Redis Cluster, not REDIS_URL. */
  redisCluster?: RedisClusterSeeds | undefined;
  redisPrefix: string;
  /** `BROKER_ISSUER`, without a trailing slash. */
  brokerIssuer: string;
  /** LOG_LEVEL, LOG_FORMAT. */
  log: LogSettings;
  /** TRUST_PROXY: reverse proxies whose X-Forwarded-For is believed. */
  trustProxy: string[];
}

/** The `CommonConfig` of a parsed environment; `service` names the process in its log lines. */
export function commonConfigOf(service: string, parsed: CommonEnv): CommonConfig {
  return {
    nodeEnv: parsed.NODE_ENV,
    databaseUrl: parsed.DATABASE_URL,
    redisUrl: parsed.REDIS_URL,
    redisCluster: parsed.REDIS_CLUSTER_NODES,
    redisPrefix: parsed.REDIS_PREFIX,
    brokerIssuer: parsed.BROKER_ISSUER,
    log: logSettingsOf(service, parsed),
    trustProxy: parsed.TRUST_PROXY,
  };
}
