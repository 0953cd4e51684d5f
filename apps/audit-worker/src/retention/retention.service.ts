/**
 * Retention: prunes events older than AUDIT_RETENTION_DAYS, in whole checkpoint ranges.
 * It picks the newest checkpoint signed before the cut-off, deletes every event up to
 * and including its seq, the checkpoints below it and the verification records that name
 * them, and keeps that checkpoint as the anchor from which verify continues. One
 * transaction, so verify never sees half of it.
 */
import type { DataSource } from 'typeorm';

const DAY_MS = 24 * 3600 * 1000;

export interface PruneResult {
  prunedEvents: number;
  anchorSeq: number | null;
}

export class RetentionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly retentionDays: number | undefined,
  ) {}

  async prune(now = new Date()): Promise<PruneResult> {
    if (this.retentionDays === undefined) return { prunedEvents: 0, anchorSeq: null };
    const cutoff = new Date(now.getTime() - this.retentionDays * DAY_MS);
    return this.dataSource.transaction(async (manager) => {
      const anchors: { seq: string }[] = await manager.query(
        `SELECT seq FROM audit.checkpoints WHERE created_at < $1 ORDER BY seq DESC LIMIT 1`,
        [cutoff.toISOString()],
      );
      if (anchors.length === 0) return { prunedEvents: 0, anchorSeq: null };
      const anchorSeq = Number(anchors[0]!.seq);
      // Lets the append-only trigger accept these deletes, for this transaction only.
      await manager.query(`SELECT set_config('audit.pruning', 'on', true)`);
      // TypeORM answers a DELETE with [rows, affected count].
      const [, prunedEvents]: [unknown[], number] = await manager.query(`DELETE FROM audit.events WHERE seq <= $1`, [anchorSeq]);
      await manager.query(`DELETE FROM audit.checkpoints WHERE seq < $1`, [anchorSeq]);
      await manager.query(`DELETE FROM audit.verifications WHERE checkpoint_seq < $1`, [anchorSeq]);
      return { prunedEvents, anchorSeq };
    });
  }
}
