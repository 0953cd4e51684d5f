/**
 * The audit-worker's one typed configuration, parsed once at start from the
 * environment. A bad value stops the process with a message naming the variable.
 */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { bootLogSettings, commonConfigOf, commonEnvShape, loadConfig, missingInProduction, portFromEnv, type CommonConfig, type LogSettings } from '@trust-broker/service-kit/config';
import { generateSecret, isKeyEncryptionKey, parseKeyEncryptionKey } from '@trust-broker/secrets';

const positiveInt = (defaultValue: number, max: number) => z.coerce.number().int().min(1).max(max).default(defaultValue);

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const schema = z
  .object({
    ...commonEnvShape,
    AUDIT_WORKER_PORT: portFromEnv(8082),
    ADMIN_API_KEY: optionalText.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
    KEY_ENCRYPTION_KEY: optionalText.refine((v) => v === undefined || isKeyEncryptionKey(v), 'must be 32 bytes encoded in base64'),
    AUDIT_SIGNING_KEY: optionalText.refine((v) => v === undefined || parseEd25519PrivateKey(v) !== undefined, 'must be an Ed25519 private key (PKCS#8 PEM)'),
    /** Most events written in one transaction (and most jobs held at once). */
    AUDIT_BATCH_SIZE: positiveInt(250, 5000),
    /** Batches written at once (they take turns on the chain lock; the next waits in Postgres). */
    AUDIT_WRITES_IN_FLIGHT: positiveInt(2, 8),
    /**
     * How long a partial batch waits for more events before it is written. Nothing waits for
     * the write but the job (token-service answers once the job is in Redis), and each
     * transaction costs Postgres a commit, so fuller batches cost less (figures in bench/README.md).
     */
    AUDIT_BATCH_WAIT_MS: positiveInt(25, 10_000),
    /** A signed checkpoint after this many events ... */
    AUDIT_CHECKPOINT_EVERY: positiveInt(1000, 10_000_000),
    /** ... or after this many seconds when the head moved. */
    AUDIT_CHECKPOINT_INTERVAL_S: positiveInt(60, 86_400),
    /** Prune events older than this many days (whole checkpoint ranges); none by default. */
    AUDIT_RETENTION_DAYS: z.coerce.number().positive().max(36_500).optional(),
    /** How long a job may stay active without its lock renewed before another worker takes it. */
    AUDIT_LOCK_DURATION_MS: positiveInt(30_000, 600_000),
    AUDIT_STALLED_INTERVAL_MS: positiveInt(30_000, 600_000),
    /** Longest pause between write attempts while Postgres cannot be reached. */
    AUDIT_DB_RETRY_MAX_MS: positiveInt(5000, 60_000),
  });

export interface AuditWorkerConfig extends CommonConfig {
  port: number;
  adminApiKey: string;
  keyEncryptionKey: Buffer;
  /** Set when the signing key was given; otherwise the stored (or a new) key is used. */
  signingKey?: KeyObject;
  batchSize: number;
  batchWaitMs: number;
  writesInFlight: number;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  retentionDays?: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  dbRetryMaxMs: number;
  /** What was generated for a local run, to print once at start. */
  generated: { adminApiKey?: string; keyEncryptionKey?: boolean };
}

export function parseEd25519PrivateKey(pem: string): KeyObject | undefined {
  try {
    const key = createPrivateKey({ key: pem.replace(/\\n/g, '\n'), format: 'pem' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The log settings to report a start (and a bad configuration) with, before it is validated. */
export function bootLogSettingsFromProcess(): LogSettings {
  return bootLogSettings('audit-worker', process.env);
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadAuditWorkerConfig(env: Record<string, string | undefined> = process.env): AuditWorkerConfig {
  // Checked beside the schema (not as a refinement, which zod skips once a field is bad), so
  // every problem is listed at once.
  const parsed = loadConfig(schema, env, missingInProduction(env, ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY']));
  const generated: AuditWorkerConfig['generated'] = {};
  let adminApiKey = parsed.ADMIN_API_KEY;
  if (adminApiKey === undefined) {
    adminApiKey = generateSecret();
    generated.adminApiKey = adminApiKey;
  }
  let keyEncryptionKeyText = parsed.KEY_ENCRYPTION_KEY;
  if (keyEncryptionKeyText === undefined) {
    keyEncryptionKeyText = randomBytes(32).toString('base64');
    generated.keyEncryptionKey = true;
  }
  return {
    ...commonConfigOf('audit-worker', parsed),
    port: parsed.AUDIT_WORKER_PORT,
    adminApiKey,
    keyEncryptionKey: parseKeyEncryptionKey(keyEncryptionKeyText),
    signingKey: parsed.AUDIT_SIGNING_KEY === undefined ? undefined : parseEd25519PrivateKey(parsed.AUDIT_SIGNING_KEY),
    batchSize: parsed.AUDIT_BATCH_SIZE,
    batchWaitMs: parsed.AUDIT_BATCH_WAIT_MS,
    writesInFlight: parsed.AUDIT_WRITES_IN_FLIGHT,
    checkpointEvery: parsed.AUDIT_CHECKPOINT_EVERY,
    checkpointIntervalMs: parsed.AUDIT_CHECKPOINT_INTERVAL_S * 1000,
    retentionDays: parsed.AUDIT_RETENTION_DAYS,
    lockDurationMs: parsed.AUDIT_LOCK_DURATION_MS,
    stalledIntervalMs: parsed.AUDIT_STALLED_INTERVAL_MS,
    dbRetryMaxMs: parsed.AUDIT_DB_RETRY_MAX_MS,
    generated,
  };
}
