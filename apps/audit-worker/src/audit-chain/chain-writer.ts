/**
 * Appends events to the one hash chain. Each append is one transaction that first locks
 * the chain head (`SELECT ... FOR UPDATE`), so concurrent writers (replicas) take turns:
 * sequence numbers are gap-free and prev_hash never forks. An event whose id is already
 * stored (a redelivered job) is skipped and takes no sequence number.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { signCheckpoint } from '../signing-keys/checkpoint-signature';
import type { ActiveSigningKey } from '../signing-keys/signing-keys.service';
import { EVENT_COLUMNS, chainHash, type PreparedEvent } from './chain-event';

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

// One JSON parameter for the whole batch: much cheaper to encode and parse than one array per column.
const INSERT_EVENTS = `
  INSERT INTO audit.events (seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash)
  SELECT seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash FROM json_populate_recordset(NULL::audit.events, $1::json)
  ON CONFLICT (id) DO NOTHING
  RETURNING seq`;

export class ChainWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signingKey: ActiveSigningKey,
    private readonly checkpointEvery: number,
  ) {}

  /** Writes the events not stored yet, in order, in one transaction. */
  async append(events: PreparedEvent[]): Promise<AppendResult> {
    const unique = [...new Map(events.map((prepared) => [prepared.event.id, prepared])).values()];
    return this.dataSource.transaction(async (manager) => {
      const head = await lockHead(manager);
      const stored: { id: string }[] = await manager.query(`SELECT id FROM audit.events WHERE id = ANY($1::uuid[])`, [
        unique.map((prepared) => prepared.event.id),
      ]);
      const storedIds = new Set(stored.map((row) => row.id));
      const fresh = unique.filter((prepared) => !storedIds.has(prepared.event.id));
      let seq = Number(head.seq);
      let hash = head.hash;
      if (fresh.length > 0) {
        const rows: string[] = [];
        for (const prepared of fresh) {
          seq += 1;
          const prevHash = hash;
          hash = chainHash(prevHash, prepared.canonical);
          // The event's own JSON with the chain fields spliced in front: no second stringify under the lock.
          rows.push(`{"seq":${seq},"prev_hash":"${prevHash}","hash":"${hash}",${prepared.json.slice(1)}`);
        }
        const inserted: unknown[] = await manager.query(INSERT_EVENTS, [`[${rows.join(',')}]`]);
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

