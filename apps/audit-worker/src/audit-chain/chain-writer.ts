/**
 * Appends events to the one hash chain. Each append is one transaction that first locks
 * the chain head (`SELECT ... FOR UPDATE`), so concurrent writers (replicas) take turns:
 * sequence numbers are gap-free and prev_hash never forks. An event whose id is already
 * stored (a redelivered job) is skipped and takes no sequence number.
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditEvent } from '@trust-broker/contracts';
import { signCheckpoint } from '../signing-keys/checkpoint-signature';
import type { ActiveSigningKey } from '../signing-keys/signing-keys.service';
import { canonicalEvent, chainHash } from './chain-event';

export interface AppendResult {
  written: number;
  duplicates: number;
  headSeq: number;
  checkpointed: boolean;
}

interface HeadRow {
  seq: string;
  hash: string;
  checkpoint_seq: string;
  checkpoint_at: Date;
}

export class ChainIntegrityError extends Error {
  readonly code = 'chain_append_conflict';
}

const INSERT_EVENTS = `
  INSERT INTO audit.events (seq, id, type, occurred_at, outcome, reason, error, actor, action, issuer, client_id,
                            subject, kid, client_kid, jti_hash, scope, grant_type, request_id, remote_addr, details,
                            prev_hash, hash)
  SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                       $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::jsonb[], $21::text[],
                       $22::text[])
  ON CONFLICT (id) DO NOTHING
  RETURNING seq`;

export class ChainWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signingKey: ActiveSigningKey,
    private readonly checkpointEvery: number,
  ) {}

  /** Writes the events not stored yet, in order, in one transaction. */
  async append(events: AuditEvent[]): Promise<AppendResult> {
    const unique = [...new Map(events.map((event) => [event.id, event])).values()];
    return this.dataSource.transaction(async (manager) => {
      const head = await lockHead(manager);
      const stored: { id: string }[] = await manager.query(`SELECT id FROM audit.events WHERE id = ANY($1::uuid[])`, [
        unique.map((event) => event.id),
      ]);
      const storedIds = new Set(stored.map((row) => row.id));
      const fresh = unique.filter((event) => !storedIds.has(event.id));
      let seq = Number(head.seq);
      let hash = head.hash;
      if (fresh.length > 0) {
        const columns = emptyColumns();
        for (const event of fresh) {
          seq += 1;
          const prevHash = hash;
          hash = chainHash(prevHash, canonicalEvent(event));
          pushRow(columns, seq, event, prevHash, hash);
        }
        const inserted: unknown[] = await manager.query(INSERT_EVENTS, columns);
        // Under the head lock nobody else can insert these ids; a conflict here would leave a gap.
        if (inserted.length !== fresh.length) throw new ChainIntegrityError('an event id was stored concurrently');
        await manager.query(`UPDATE audit.chain_head SET seq = $1, hash = $2 WHERE id = 1`, [seq, hash]);
      }
      const due = seq - Number(head.checkpoint_seq) >= this.checkpointEvery;
      if (due) await this.writeCheckpoint(manager, seq, hash);
      return { written: fresh.length, duplicates: events.length - fresh.length, headSeq: seq, checkpointed: due };
    });
  }

  /** Signs the head when it moved since the last checkpoint and `minAgeMs` passed. */
  async checkpointIfDue(minAgeMs: number, now = new Date()): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const head = await lockHead(manager);
      const moved = Number(head.seq) > Number(head.checkpoint_seq);
      if (!moved || now.getTime() - head.checkpoint_at.getTime() < minAgeMs) return false;
      await this.writeCheckpoint(manager, Number(head.seq), head.hash, now);
      return true;
    });
  }

  private async writeCheckpoint(manager: EntityManager, seq: number, hash: string, now = new Date()): Promise<void> {
    const createdAt = now.toISOString();
    const { kid, signature } = signCheckpoint(this.signingKey, { seq, hash, created_at: createdAt });
    await manager.query(`INSERT INTO audit.checkpoints (seq, hash, created_at, kid, signature) VALUES ($1, $2, $3, $4, $5)`, [
      seq,
      hash,
      createdAt,
      kid,
      signature,
    ]);
    await manager.query(`UPDATE audit.chain_head SET checkpoint_seq = $1, checkpoint_at = $2 WHERE id = 1`, [seq, createdAt]);
  }
}

async function lockHead(manager: EntityManager): Promise<HeadRow> {
  const rows: HeadRow[] = await manager.query(
    `SELECT seq, hash, checkpoint_seq, checkpoint_at FROM audit.chain_head WHERE id = 1 FOR UPDATE`,
  );
  if (rows.length !== 1) throw new ChainIntegrityError('audit.chain_head has no row: migrations not run?');
  return rows[0]!;
}

type Columns = unknown[][];

function emptyColumns(): Columns {
  return Array.from({ length: 22 }, () => []);
}

function pushRow(columns: Columns, seq: number, event: AuditEvent, prevHash: string, hash: string): void {
  const values = [
    seq,
    event.id,
    event.type,
    event.occurred_at,
    event.outcome,
    event.reason,
    event.error,
    event.actor,
    event.action,
    event.issuer,
    event.client_id,
    event.subject,
    event.kid,
    event.client_kid,
    event.jti_hash,
    event.scope,
    event.grant_type,
    event.request_id,
    event.remote_addr,
    event.details === null ? null : JSON.stringify(event.details),
    prevHash,
    hash,
  ];
  values.forEach((value, index) => columns[index]!.push(value));
}
