/**
 * Appends events to the one hash chain. A batch is one call of audit.append_events(canonicals,
 * events) (see its migration, 1764300000003): one statement, one round trip, its own transaction. It locks the chain
 * head (`SELECT ... FOR UPDATE`), so concurrent writers (replicas) take turns: sequence
 * numbers are gap-free and prev_hash never forks; an id already stored (a redelivered job)
 * is skipped and takes no sequence number. The worker computes each event's RFC 8785
 * canonical form; Postgres chains the hashes under the lock.
 *
 * Checkpoints (signed here, with the worker's key) follow the append that made them due,
 * or the timer; each names a (seq, hash) that the chain really passed through.
 */
import type { DataSource } from 'typeorm';
import { signCheckpoint } from '../signing-keys/checkpoint-signature';
import type { ActiveSigningKey } from '../signing-keys/signing-keys.service';
import type { PreparedEvent } from './chain-event';

export interface AppendResult {
  written: number;
  duplicates: number;
  headSeq: number;
  checkpointed: boolean;
}

interface AppendRow {
  head_seq: string;
  head_hash: string;
  written: number;
  checkpoint_seq: string;
}

interface HeadRow {
  seq: string;
  hash: string;
  checkpoint_seq: string;
  checkpoint_at: Date;
}

/** Writes the checkpoint and moves the head's checkpoint mark forward (never back), in one statement. */
const WRITE_CHECKPOINT = `
  WITH checkpoint AS (
    INSERT INTO audit.checkpoints (seq, hash, created_at, kid, signature)
    VALUES ($1::bigint, $2::text, $3::timestamptz, $4::text, $5::text)
    ON CONFLICT (seq) DO NOTHING
    RETURNING seq
  )
  UPDATE audit.chain_head SET checkpoint_seq = $1::bigint, checkpoint_at = $3::timestamptz
   WHERE id = 1 AND checkpoint_seq < $1::bigint AND EXISTS (SELECT 1 FROM checkpoint)`;

export class ChainWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signingKey: ActiveSigningKey,
    private readonly checkpointEvery: number,
  ) {}

  /** Writes the events not stored yet, in order, in one statement. */
  async append(events: PreparedEvent[]): Promise<AppendResult> {
    const rows: AppendRow[] = await this.dataSource.query(`SELECT * FROM audit.append_events($1::text[], $2::json)`, [
      events.map((prepared) => prepared.canonical),
      `[${events.map((prepared) => prepared.json).join(',')}]`,
    ]);
    const result = rows[0]!;
    const headSeq = Number(result.head_seq);
    const due = headSeq - Number(result.checkpoint_seq) >= this.checkpointEvery;
    if (due) await this.writeCheckpoint(headSeq, result.head_hash);
    return { written: result.written, duplicates: events.length - result.written, headSeq, checkpointed: due };
  }

  /** Signs the head when it moved since the last checkpoint and `minAgeMs` passed. */
  async checkpointIfDue(minAgeMs: number, now = new Date()): Promise<boolean> {
    const heads: HeadRow[] = await this.dataSource.query(
      `SELECT seq, hash, checkpoint_seq, checkpoint_at FROM audit.chain_head WHERE id = 1`,
    );
    const head = heads[0];
    if (!head) return false;
    const moved = Number(head.seq) > Number(head.checkpoint_seq);
    if (!moved || now.getTime() - head.checkpoint_at.getTime() < minAgeMs) return false;
    await this.writeCheckpoint(Number(head.seq), head.hash, now);
    return true;
  }

  private async writeCheckpoint(seq: number, hash: string, now = new Date()): Promise<void> {
    const createdAt = now.toISOString();
    const { kid, signature } = signCheckpoint(this.signingKey, { seq, hash, created_at: createdAt });
    await this.dataSource.query(WRITE_CHECKPOINT, [seq, hash, createdAt, kid, signature]);
  }
}
