import { z } from 'zod';

/**
 * A trust-change message, published by issuer-registry on `TRUST_CHANGE_CHANNEL` after
 * the change is committed (relayed from its transactional outbox). token-service reloads
 * the named entity from the registry schema; `version` lets it ignore stale messages.
 */
export const TRUST_ENTITIES = ['issuer', 'client', 'issuer_keys', 'client_keys', 'assertion_revocation'] as const;

export const TrustChangeSchema = z
  .object({
    entity: z.enum(TRUST_ENTITIES),
    /** issuer: its uuid `id`; client: its `client_id`. For keys and revocations: the owner's id. */
    id: z.string().min(1).max(256),
    version: z.number().int().nonnegative(),
    op: z.enum(['upsert', 'delete']),
    occurred_at: z.iso.datetime({ offset: true }),
  })
  .strict();

export type TrustChange = z.infer<typeof TrustChangeSchema>;

export function parseTrustChange(payload: unknown): TrustChange {
  return TrustChangeSchema.parse(payload);
}
