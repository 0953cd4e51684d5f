/**
 * The issuer-registry configuration: the one place that reads the environment.
 * Parsed once at start; a bad value stops the process with a message naming the variable.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { booleanFromEnv, bootLogSettings, commonConfigOf, commonEnvShape, ConfigError, loadConfig, missingInProduction, portFromEnv, type CommonConfig, type LogSettings } from '@trust-broker/service-kit/config';
import { generateSecret, isKeyEncryptionKey, parseKeyEncryptionKey } from '@trust-broker/secrets';
import { z } from 'zod';

const seconds = (defaultValue: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

/** `VAR=` counts as not set (shells and compose files produce it). */
function unsetWhenEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

const registryEnvSchema = z.object({
  ...commonEnvShape,
  ISSUER_REGISTRY_PORT: portFromEnv(8081),
  ADMIN_API_KEY: unsetWhenEmpty(z.string().min(16, 'must be at least 16 characters').optional()),
  KEY_ENCRYPTION_KEY: unsetWhenEmpty(
    z
      .string()
      .optional()
      .refine((value) => value === undefined || isKeyEncryptionKey(value), 'must be 32 bytes encoded in base64'),
  ),
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: booleanFromEnv(false),
  /** Total budget of one outbound fetch (connect, redirects, body). */
  JWKS_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  JWKS_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(262_144),
  JWKS_MAX_KEYS: z.coerce.number().int().min(1).max(1000).default(100),
  JWKS_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(3),
  /** Refresh interval bounds applied to Cache-Control max-age (CONTRACT.md: 60 s to 24 h). */
  KEYS_MIN_REFRESH_S: seconds(60, 1, 86_400),
  KEYS_MAX_REFRESH_S: seconds(86_400, 1, 604_800),
  /** Refresh interval when the server sends no usable max-age. */
  KEYS_DEFAULT_REFRESH_S: seconds(3600, 1, 604_800),
  /** How long the last good keys are kept while fetches fail; after that they are dropped (fail closed). */
  KEYS_MAX_STALE_S: seconds(86_400, 60, 30 * 86_400),
  /** At most one unknown-kid-triggered fetch per party per this window. */
  UNKNOWN_KID_REFRESH_INTERVAL_S: seconds(10, 1, 3600),
  /** How often the BullMQ job scheduler looks for parties whose keys are due. */
  KEY_REFRESH_SWEEP_INTERVAL_S: seconds(15, 1, 3600),
  /** Fallback polling of the outbox (LISTEN/NOTIFY wakes the relay sooner). */
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** Where the admin console's audit calls are relayed (the audit-worker's audit API). */
  AUDIT_API_URL: unsetWhenEmpty(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional()),
  AUDIT_WORKER_PORT: portFromEnv(8082),
  /**
   * The relay streams the audit API's answer with no total limit (a full verify of a long
   * chain runs for minutes, with a progress line a second): only connecting, and any pause
   * of the answer (before its head or between two chunks), are limited.
   */
  AUDIT_RELAY_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  AUDIT_RELAY_IDLE_TIMEOUT_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  /** The built admin console (apps/admin-console/dist); default: found beside this app. */
  ADMIN_CONSOLE_DIR: unsetWhenEmpty(z.string().optional()),
  /** Test hook: `false` leaves the outbox unrelayed (to show it survives a crash). */
  OUTBOX_RELAY_ENABLED: booleanFromEnv(true),
});

export interface RegistryConfig extends CommonConfig {
  port: number;
  adminApiKey: string;
  keyEncryptionKey: Buffer;
  outbound: OutboundFetchConfig;
  keyRefresh: KeyRefreshConfig;
  outbox: { pollIntervalMs: number; relayEnabled: boolean };
  /** The admin console at /console: its built files, and the audit API it reads through the registry. */
  console: { dir: string | null; auditApiUrl: string; relay: AuditRelayLimits };
  /** Warnings to print at start (generated credentials). */
  startupNotices: string[];
}

export interface OutboundFetchConfig {
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  maxBodyBytes: number;
  maxKeys: number;
  maxRedirects: number;
}

/** The console's audit relay: time to connect to the audit API, and the longest pause of its answer. */
export interface AuditRelayLimits {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface KeyRefreshConfig {
  minRefreshSeconds: number;
  maxRefreshSeconds: number;
  defaultRefreshSeconds: number;
  maxStaleSeconds: number;
  unknownKidIntervalSeconds: number;
  sweepIntervalSeconds: number;
}

export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');

/** Parses the environment; throws `ConfigError` naming every bad variable. */
export function loadRegistryConfig(env: Record<string, string | undefined>): RegistryConfig {
  // Checked beside the schema, so that every problem is named at once.
  const problems = missingInProduction(env, ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY']);
  const parsed = loadConfig(registryEnvSchema, env, problems);
  if (parsed.KEYS_MIN_REFRESH_S > parsed.KEYS_MAX_REFRESH_S) problems.push('KEYS_MIN_REFRESH_S: must not exceed KEYS_MAX_REFRESH_S');
  if (problems.length > 0) throw new ConfigError(problems);

  const startupNotices: string[] = [];
  let adminApiKey = parsed.ADMIN_API_KEY;
  if (!adminApiKey) {
    adminApiKey = generateSecret();
    startupNotices.push(`ADMIN_API_KEY not set: generated one for this run: ${adminApiKey}`);
  }
  let keyEncryptionKey: Buffer;
  if (parsed.KEY_ENCRYPTION_KEY) {
    keyEncryptionKey = parseKeyEncryptionKey(parsed.KEY_ENCRYPTION_KEY);
  } else {
    keyEncryptionKey = randomBytes(32);
    startupNotices.push(
      'WARNING: KEY_ENCRYPTION_KEY not set: generated a random one. Client secrets stored now WILL NOT DECRYPT after a restart. Set KEY_ENCRYPTION_KEY for anything but a throwaway run.',
    );
  }

  return {
    ...commonConfigOf('issuer-registry', parsed),
    port: parsed.ISSUER_REGISTRY_PORT,
    adminApiKey,
    keyEncryptionKey,
    outbound: {
      allowPrivateNetworks: parsed.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
      timeoutMs: parsed.JWKS_FETCH_TIMEOUT_MS,
      maxBodyBytes: parsed.JWKS_MAX_BODY_BYTES,
      maxKeys: parsed.JWKS_MAX_KEYS,
      maxRedirects: parsed.JWKS_MAX_REDIRECTS,
    },
    keyRefresh: {
      minRefreshSeconds: parsed.KEYS_MIN_REFRESH_S,
      maxRefreshSeconds: parsed.KEYS_MAX_REFRESH_S,
      defaultRefreshSeconds: parsed.KEYS_DEFAULT_REFRESH_S,
      maxStaleSeconds: parsed.KEYS_MAX_STALE_S,
      unknownKidIntervalSeconds: parsed.UNKNOWN_KID_REFRESH_INTERVAL_S,
      sweepIntervalSeconds: parsed.KEY_REFRESH_SWEEP_INTERVAL_S,
    },
    outbox: { pollIntervalMs: parsed.OUTBOX_POLL_INTERVAL_MS, relayEnabled: parsed.OUTBOX_RELAY_ENABLED },
    console: {
      dir: parsed.ADMIN_CONSOLE_DIR ?? defaultConsoleDir(),
      auditApiUrl: (parsed.AUDIT_API_URL ?? `http://127.0.0.1:${parsed.AUDIT_WORKER_PORT}`).replace(/\/+$/, ''),
      relay: { connectTimeoutMs: parsed.AUDIT_RELAY_CONNECT_TIMEOUT_MS, idleTimeoutMs: parsed.AUDIT_RELAY_IDLE_TIMEOUT_MS },
    },
    startupNotices,
  };
}

/** The log settings to report a start (and a bad configuration) with, before it is validated. */
export function bootLogSettingsFromProcess(): LogSettings {
  return bootLogSettings('issuer-registry', process.env);
}

/** apps/admin-console/dist through the workspace link, or null where the package is not installed. */
function defaultConsoleDir(): string | null {
  try {
    return join(dirname(require.resolve('@trust-broker/admin-console/package.json')), 'dist');
  } catch {
    return null;
  }
}

/** The process environment's configuration (main.ts). */
export function readRegistryConfig(): RegistryConfig {
  return loadRegistryConfig(process.env);
}
