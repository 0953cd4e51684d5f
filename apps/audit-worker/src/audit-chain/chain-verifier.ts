/**
 * Walks the chain and its checkpoints and reports the first place where it breaks.
 * Rows are read in keyset pages (seq > last), so memory stays flat for any length.
 * The walk starts at the oldest kept row; after retention pruning it starts from the
 * checkpoint just below that row, trusting its signed hash.
 *
 * Per row, in order: its seq follows the previous one (else a row was deleted), its hash
 * matches its content (else the row was changed), its prev_hash is the previous row's
 * hash (else rows were reordered or replaced), and a checkpoint at its seq is signed by a
 * trusted key and names its hash (else the chain was rewritten). At the end, no
 * checkpoint may lie beyond the last row (else the tail was truncated).
 */
import type { KeyObject } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isCheckpointSignatureValid } from '../signing-keys/checkpoint-signature';
import { EVENT_COLUMNS, GENESIS_HASH, canonicalEvent, chainHash, eventFromRow, type EventRow } from './chain-event';

export type BreakReason =
  | 'seq_gap'
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_hash_mismatch'
  | 'head_truncated';

export interface VerifyReport {
  intact: boolean;
  checked: number;
  broken_at: number | null;
  reason: BreakReason | null;
}

interface CheckpointRow {
  seq: string;
  hash: string;
  created_at: Date;
  kid: string;
  signature: string;
}

const PAGE_SIZE = 2000;
const SELECT_PAGE = `SELECT seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash FROM audit.events WHERE seq > $1 ORDER BY seq LIMIT ${PAGE_SIZE}`;

export class ChainVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly trustedKeys: () => Promise<Map<string, { key: KeyObject }>>,
  ) {}

  /** One REPEATABLE READ snapshot for the whole walk: appends and pruning meanwhile do not disturb it. */
  async verify(): Promise<VerifyReport> {
    const keys = await this.trustedKeys();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      const report = await this.walk(keys, (sql, params) => runner.query(sql, params));
      await runner.commitTransaction();
      return report;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async walk(
    keys: Map<string, { key: KeyObject }>,
    query: (sql: string, params?: unknown[]) => Promise<never[]>,
  ): Promise<VerifyReport> {
    const checkpoints: CheckpointRow[] = await query(
      `SELECT seq, hash, created_at, kid, signature FROM audit.checkpoints ORDER BY seq`,
    );
    const headRows: { seq: string }[] = await query(`SELECT seq FROM audit.chain_head WHERE id = 1`);
    const bySeq = new Map(checkpoints.map((checkpoint) => [Number(checkpoint.seq), checkpoint]));
    const isSigned = (checkpoint: CheckpointRow) => {
      const key = keys.get(checkpoint.kid)?.key;
      return (
        key !== undefined &&
        isCheckpointSignatureValid(
          key,
          { seq: Number(checkpoint.seq), hash: checkpoint.hash, created_at: checkpoint.created_at.toISOString(), kid: checkpoint.kid },
          checkpoint.signature,
        )
      );
    };
    const broken = (checked: number, at: number, reason: BreakReason): VerifyReport => ({ intact: false, checked, broken_at: at, reason });

    const first: { seq: string }[] = await query(`SELECT seq FROM audit.events ORDER BY seq LIMIT 1`);
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    if (first.length > 0 && Number(first[0]!.seq) > 1) {
      // Pruned (or deleted) at the start: only a signed checkpoint right below may anchor the rest.
      const anchorSeq = Number(first[0]!.seq) - 1;
      const anchor = bySeq.get(anchorSeq);
      if (!anchor) {
        const below = checkpoints.filter((checkpoint) => Number(checkpoint.seq) < anchorSeq).pop();
        return broken(0, below ? Number(below.seq) + 1 : 1, 'seq_gap');
      }
      if (!isSigned(anchor)) return broken(0, anchorSeq, 'checkpoint_signature_invalid');
      expectedSeq = anchorSeq + 1;
      prevHash = anchor.hash;
    }

    let checked = 0;
    let lastSeq = expectedSeq - 1;
    for (;;) {
      const rows: EventRow[] = await query(SELECT_PAGE, [lastSeq]);
      if (rows.length === 0) break;
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return broken(checked, expectedSeq, 'seq_gap');
        if (chainHash(row.prev_hash, canonicalEvent(eventFromRow(row))) !== row.hash) return broken(checked, seq, 'hash_mismatch');
        if (row.prev_hash !== prevHash) return broken(checked, seq, 'prev_hash_mismatch');
        checked += 1;
        const checkpoint = bySeq.get(seq);
        if (checkpoint) {
          if (!isSigned(checkpoint)) return broken(checked, seq, 'checkpoint_signature_invalid');
          if (checkpoint.hash !== row.hash) return broken(checked, seq, 'checkpoint_hash_mismatch');
        }
        prevHash = row.hash;
        expectedSeq = seq + 1;
        lastSeq = seq;
      }
    }

    const lastCheckpointSeq = checkpoints.length > 0 ? Number(checkpoints[checkpoints.length - 1]!.seq) : 0;
    const headSeq = headRows.length > 0 ? Number(headRows[0]!.seq) : 0;
    if (lastCheckpointSeq > lastSeq || headSeq > lastSeq) return broken(checked, lastSeq + 1, 'head_truncated');
    return { intact: true, checked, broken_at: null, reason: null };
  }
}
