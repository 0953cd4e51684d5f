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

/**
 * Locks the head and lists which ids of the batch are stored already, in one round trip.
 * (Should the id lookup run before the lock is granted and miss an id committed meanwhile,
 * the insert below counts fewer rows, the transaction is rolled back and the batch retried.)
 */
const LOCK_HEAD = `
  SELECT seq, hash, checkpoint_seq, checkpoint_at,
         ARRAY(SELECT id::text FROM audit.events WHERE id = ANY($1::uuid[])) AS stored
    FROM audit.chain_head WHERE id = 1 FOR UPDATE`;

/**
 * Inserts the rows (one JSON parameter: far cheaper than one array per column), writes the
 * checkpoint when one is given and moves the head, in one statement.
 */
const APPEND = `
  WITH inserted AS (
    INSERT INTO audit.events (seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash)
    SELECT seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash FROM json_populate_recordset(NULL::audit.events, $1::json)
    ON CONFLICT (id) DO NOTHING
    RETURNING 1
  ), checkpoint AS (
    INSERT INTO audit.checkpoints (seq, hash, created_at, kid, signature)
    SELECT $2::bigint, $3::text, $4::timestamptz, $5::text, $6::text WHERE $5::text IS NOT NULL
    RETURNING 1
  )
  UPDATE audit.chain_head
     SET seq = $2::bigint, hash = $3::text,
         checkpoint_seq = CASE WHEN $5::text IS NULL THEN checkpoint_seq ELSE $2::bigint END,
         checkpoint_at = CASE WHEN $5::text IS NULL THEN checkpoint_at ELSE $4::timestamptz END
   WHERE id = 1
  RETURNING (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM checkpoint)::int AS checkpoints`;

export class ChainWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signingKey: ActiveSigningKey,
    private readonly checkpointEvery: number,
  ) {}

  /** Writes the events not stored yet, in order, in one transaction (four round trips). */
  async append(events: PreparedEvent[]): Promise<AppendResult> {
    const unique = [...new Map(events.map((prepared) => [prepared.event.id, prepared])).values()];
    return this.dataSource.transaction(async (manager) => {
      const heads: Array<HeadRow & { stored: string[] }> = await manager.query(LOCK_HEAD, [unique.map((prepared) => prepared.event.id)]);
      const head = heads[0];
      if (!head) throw new ChainIntegrityError('audit.chain_head has no row: migrations not run?');
      const storedIds = new Set(head.stored);
      const fresh = unique.filter((prepared) => !storedIds.has(prepared.event.id));
      let seq = Number(head.seq);
      let hash = head.hash;
      const rows: string[] = [];
      for (const prepared of fresh) {
        seq += 1;
        const prevHash = hash;
        hash = chainHash(prevHash, prepared.canonical);
        // The event's own JSON with the chain fields spliced in front: no second stringify under the lock.
        rows.push(`{"seq":${seq},"prev_hash":"${prevHash}","hash":"${hash}",${prepared.json.slice(1)}`);
      }
      const due = seq - Number(head.checkpoint_seq) >= this.checkpointEvery;
      if (fresh.length > 0 || due) {
        const createdAt = new Date().toISOString();
        const checkpoint = due ? signCheckpoint(this.signingKey, { seq, hash, created_at: createdAt }) : undefined;
        // An UPDATE answers [rows, affected count] through TypeORM.
        const [result]: [Array<{ inserted: number; checkpoints: number }>, number] = await manager.query(APPEND, [
          `[${rows.join(',')}]`,
          seq,
          hash,
          createdAt,
          checkpoint?.kid ?? null,
          checkpoint?.signature ?? null,
        ]);
        // Under the head lock nobody else can insert these ids; a conflict here would leave a gap.
        if (result[0]?.inserted !== fresh.length) throw new ChainIntegrityError('an event id was stored concurrently');
      }
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

