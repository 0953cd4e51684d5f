import { z } from 'zod';

/**
 * A key-refresh job for issuer-registry: fetch the remote keys of one issuer or client.
 * token-service enqueues one when an assertion names an unknown `kid` (deduplicated per
 * party with `keyRefreshDedupId`); schedulers enqueue `scheduled`; admins `forced`.
 */
export const KeyRefreshJobSchema = z
  .object({
    party: z.enum(['issuer', 'client']),
    /** issuer: its uuid `id`; client: its `client_id`. */
    id: z.string().min(1).max(256),
    reason: z.enum(['unknown_kid', 'scheduled', 'forced']),
    kid: z.string().max(256).nullable().default(null),
    requested_at: z.iso.datetime({ offset: true }),
  })
  .strict();

export type KeyRefreshJob = z.infer<typeof KeyRefreshJobSchema>;

export function parseKeyRefreshJob(payload: unknown): KeyRefreshJob {
  return KeyRefreshJobSchema.parse(payload);
}

/** The BullMQ deduplication id for a party's refresh: one pending refresh per party. */
export function keyRefreshDedupId(party: 'issuer' | 'client', id: string): string {
  return `${party}:${id}`;
}
