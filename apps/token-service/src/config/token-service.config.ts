/**
 * token-service's one typed configuration (CONTRACT.md "Processes, ports, settings"):
 * parsed once at start from the environment; a bad value stops the process with a
 * message naming the variable. No other file reads `process.env`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { booleanFromEnv, bootLogSettings, commonConfigOf, commonEnvShape, ConfigError, loadConfig, missingInProduction, portFromEnv, urlFromEnv, type CommonConfig, type LogSettings } from '@trust-broker/service-kit/config';
import { isKeyEncryptionKey, parseKeyEncryptionKey } from '@trust-broker/secrets';
import { BROKER_SIGNING_ALGORITHMS, type BrokerSigningAlgorithm } from '@trust-broker/validation';

/** Nest injection token of the parsed `TokenServiceConfig`. */
export const TOKEN_SERVICE_CONFIG = Symbol('TOKEN_SERVICE_CONFIG');


const positiveInt = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

const envSchema = z
  .object({
    ...commonEnvShape,
    KEY_ENCRYPTION_KEY: z
      .string()
      .optional()
      .refine((value) => value === undefined || value === '' || isKeyEncryptionKey(value), 'must be 32 bytes encoded in base64'),
    TOKEN_SERVICE_PORT: portFromEnv(8080),
    CLIENT_ASSERTION_AUDIENCE_COMPAT: booleanFromEnv(false),
    /** Reconcile of the trust cache with the registry (row versions; changed rows re-read), healing lost trust-change messages. */
    TRUST_RELOAD_INTERVAL_S: positiveInt(1, 3600, 30),
    /** Longest time without a successful trust reload (Postgres down) before lookups fail closed (503). */
    TRUST_MAX_STALE_S: positiveInt(2, 7 * 24 * 3600, 600),
    /** How long a request waits for a party's keys after an unknown `kid` (CONTRACT.md: 2 s). */
    KEY_REFRESH_WAIT_MS: positiveInt(0, 10_000, 2000),
    /** The broker's own access-token signing algorithm (signing-keys/). */
    TOKEN_SIGNING_ALG: z.enum(BROKER_SIGNING_ALGORITHMS).default('ES256'),
    /** Signing key rotation period (signing-keys/). */
    SIGNING_KEY_ROTATION_S: positiveInt(60, 365 * 24 * 3600, 7 * 24 * 3600),
    /**
     * Processes serving HTTP (workers/): 1 serves in the main process; N > 1 forks N
     * cluster workers on one port. 1 by default: containers scale by replicas; set it to
     * the number of cores on a host that runs one token-service.
     */
    TOKEN_SERVICE_WORKERS: positiveInt(1, 64, 1),
    /** Rate limits of POST /oauth2/token (rate-limit/): requests per window; 0 turns one off. Generous: floods only. */
    RATE_LIMIT_WINDOW_S: positiveInt(1, 3600, 10),
    RATE_LIMIT_PER_CLIENT: positiveInt(0, 10_000_000, 20_000),
    RATE_LIMIT_PER_ADDRESS: positiveInt(0, 10_000_000, 50_000),
    /**
     * Replicas that must hold a replay mark, an audit job or a revocation mark before the
     * answer (Redis WAIT): a primary lost right after cannot take them with it. 0: no wait.
     */
    REDIS_WAIT_REPLICAS: positiveInt(0, 5, 0),
    REDIS_WAIT_TIMEOUT_MS: positiveInt(1, 5000, 500),
    /** Postgres for trust reloads (a read replica); DATABASE_URL when unset. */
    DATABASE_READ_URL: urlFromEnv(['postgres:', 'postgresql:']).optional(),
  });

export interface TokenServiceConfig extends CommonConfig {
  /** `DATABASE_READ_URL`: where trust reloads read the registry schema (a read replica); `databaseUrl` when unset. */
  databaseReadUrl: string;
  /** `REDIS_WAIT_REPLICAS` / `REDIS_WAIT_TIMEOUT_MS`: replicas a replay mark, an audit job and a revocation mark must reach before the answer. */
  redisWait: { replicas: number; timeoutMs: number };
  /** `${BROKER_ISSUER}/oauth2/token`. */
  tokenEndpoint: string;
  keyEncryptionKey: Buffer;
  port: number;
  clientAssertionAudienceCompat: boolean;
  trustReloadIntervalMs: number;
  /** `TRUST_MAX_STALE_S` in ms: after that long without a successful reload, trust lookups fail closed. */
  trustMaxStaleMs: number;
  keyRefreshWaitMs: number;
  signingAlgorithm: BrokerSigningAlgorithm;
  signingKeyRotationS: number;
  /** `TOKEN_SERVICE_WORKERS`: HTTP processes (1: the main process serves). */
  workers: number;
  /** `RATE_LIMIT_*`: token requests per window, per claimed client and per peer address (0: off). */
  rateLimit: { windowS: number; perClient: number; perAddress: number };
  /** Things main.ts prints at start (e.g. a generated development key). */
  warnings: string[];
}

/** Parses this process's environment (the one read of `process.env`); throws `ConfigError` naming every bad variable. */
export function loadTokenServiceConfigFromProcess(): TokenServiceConfig {
  return loadTokenServiceConfig(process.env);
}

/** The log settings to report a start (and a bad configuration) with, before it is validated. */
export function bootLogSettingsFromProcess(): LogSettings {
  return bootLogSettings('token-service', process.env);
}

/** Parses the environment; throws `ConfigError` naming every bad variable. */
export function loadTokenServiceConfig(env: Record<string, string | undefined>): TokenServiceConfig {
  // Checked beside the schema so that every problem is named at once.
  const problems = missingInProduction(env, ['KEY_ENCRYPTION_KEY']);
  const parsed = loadConfig(envSchema, env, problems);
  if (parsed.TRUST_MAX_STALE_S <= parsed.TRUST_RELOAD_INTERVAL_S) problems.push('TRUST_MAX_STALE_S: must be more than TRUST_RELOAD_INTERVAL_S');
  if (problems.length > 0) throw new ConfigError(problems);
  const warnings: string[] = [];
  let keyEncryptionKey: Buffer;
  if (parsed.KEY_ENCRYPTION_KEY) {
    keyEncryptionKey = parseKeyEncryptionKey(parsed.KEY_ENCRYPTION_KEY);
  } else {
    // Development only (production is refused above): secrets of clients registered
    // under another key will not decrypt, so secret-based clients fail closed.
    keyEncryptionKey = randomBytes(32);
    warnings.push('KEY_ENCRYPTION_KEY is not set: generated a random one for this run (development only)');
  }
  return {
    ...commonConfigOf('token-service', parsed),
    databaseReadUrl: parsed.DATABASE_READ_URL ?? parsed.DATABASE_URL,
    redisWait: { replicas: parsed.REDIS_WAIT_REPLICAS, timeoutMs: parsed.REDIS_WAIT_TIMEOUT_MS },
    tokenEndpoint: `${parsed.BROKER_ISSUER}/oauth2/token`,
    keyEncryptionKey,
    port: parsed.TOKEN_SERVICE_PORT,
    clientAssertionAudienceCompat: parsed.CLIENT_ASSERTION_AUDIENCE_COMPAT,
    trustReloadIntervalMs: parsed.TRUST_RELOAD_INTERVAL_S * 1000,
    trustMaxStaleMs: parsed.TRUST_MAX_STALE_S * 1000,
    keyRefreshWaitMs: parsed.KEY_REFRESH_WAIT_MS,
    signingAlgorithm: parsed.TOKEN_SIGNING_ALG,
    signingKeyRotationS: parsed.SIGNING_KEY_ROTATION_S,
    workers: parsed.TOKEN_SERVICE_WORKERS,
    rateLimit: { windowS: parsed.RATE_LIMIT_WINDOW_S, perClient: parsed.RATE_LIMIT_PER_CLIENT, perAddress: parsed.RATE_LIMIT_PER_ADDRESS },
    warnings,
  };
}
