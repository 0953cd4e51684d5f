/** Injection tokens of the values the audit worker's providers share (see app.module.ts). */

/** The parsed `AuditWorkerConfig`. */
export const AUDIT_WORKER_CONFIG = Symbol('AUDIT_WORKER_CONFIG');

/** The `ActiveSigningKey` that signs checkpoints (loaded or created once at start). */
export const ACTIVE_CHECKPOINT_KEY = Symbol('ACTIVE_CHECKPOINT_KEY');

/** The Redis connection of the readiness check (the consumer holds its own). */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');
