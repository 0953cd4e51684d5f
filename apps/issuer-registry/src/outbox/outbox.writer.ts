/**
 * Writes trust changes and audit events into `registry.outbox` inside the caller's
 * transaction, so they exist if and only if the change committed. The relay delivers them.
 */
import { randomUUID } from 'node:crypto';
import {
  parseAuditEvent,
  parseTrustChange,
  type AuditEventInput,
  type TrustChange,
} from '@trust-broker/contracts';
import type { Sql } from '../database/registry-database';

export const OUTBOX_CHANNEL = 'registry_outbox';

export type TrustChangeInput = Omit<TrustChange, 'occurred_at'>;

export async function recordTrustChange(tx: Sql, change: TrustChangeInput): Promise<void> {
  const message = parseTrustChange({ ...change, occurred_at: new Date().toISOString() });
  await insertOutboxEntry(tx, 'trust_change', message);
}

/** What an admin change's audit event needs; the rest is filled in. */
export interface AdminAuditInput {
  action: NonNullable<AuditEventInput['action']>;
  actor: string | null;
  issuer?: string | null;
  client_id?: string | null;
  kid?: string | null;
  request_id?: string | null;
  remote_addr?: string | null;
  /** A change that was attempted and failed (a forced key refresh whose fetch failed). */
  failure?: { reason: string };
  details: Record<string, unknown>;
}

export async function recordAdminAudit(tx: Sql, input: AdminAuditInput): Promise<void> {
  await insertOutboxEntry(tx, 'audit', adminAuditEvent(input));
}

function adminAuditEvent(input: AdminAuditInput): ReturnType<typeof parseAuditEvent> {
  return parseAuditEvent({
    id: randomUUID(),
    type: 'admin',
    occurred_at: new Date().toISOString(),
    outcome: input.failure ? 'failure' : 'success',
    reason: input.failure?.reason ?? null,
    actor: input.actor,
    action: input.action,
    issuer: input.issuer ?? null,
    client_id: input.client_id ?? null,
    kid: input.kid ?? null,
    request_id: input.request_id ?? null,
    remote_addr: input.remote_addr ?? null,
    details: input.details,
  });
}

/**
 * The one writer of an admin change's outbox entries: its trust changes (what token-service
 * must reload), then its audit event, in that order, in the caller's transaction, with one
 * wake-up of the relay. Every change through the admin API goes through here, so none can
 * publish a trust change without its audit event or the reverse.
 */
export async function recordAdminChange(tx: Sql, trustChanges: readonly TrustChangeInput[], audit: AdminAuditInput): Promise<void> {
  const occurredAt = new Date().toISOString();
  await insertOutboxEntries(tx, [
    ...trustChanges.map((change) => ({ kind: 'trust_change' as const, payload: parseTrustChange({ ...change, occurred_at: occurredAt }) })),
    { kind: 'audit' as const, payload: adminAuditEvent(audit) },
  ]);
}

type OutboxEntry = { kind: 'trust_change' | 'audit'; payload: unknown };

async function insertOutboxEntry(tx: Sql, kind: OutboxEntry['kind'], payload: unknown): Promise<void> {
  await insertOutboxEntries(tx, [{ kind, payload }]);
}

/** One INSERT for all entries (ids in the given order), then one notify. */
async function insertOutboxEntries(tx: Sql, entries: readonly OutboxEntry[]): Promise<void> {
  const values = entries.map((_entry, i) => `($${2 * i + 1}, $${2 * i + 2}::jsonb)`).join(', ');
  await tx.rows(`INSERT INTO registry.outbox (kind, payload) VALUES ${values}`, entries.flatMap((entry) => [entry.kind, JSON.stringify(entry.payload)]));
  // Delivered at commit only: wakes the relay without waiting for its next poll.
  await tx.rows(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
}
