/**
 * GET /v1/audit/verify: checks the chain and its checkpoints in one REPEATABLE READ
 * snapshot and reports the first place where it breaks.
 *
 * Where the walk starts:
 * - by default, at the newest signed checkpoint that an earlier walk found intact (the
 *   newest trusted verification record, see verification-records.ts): that checkpoint must
 *   still be there, signed by a trusted key, with the hash the record names, and its row must
 *   still hash to it; then the rows after it are walked;
 * - with `full`, or without a trusted record, at the first row (after retention pruning:
 *   from the signed checkpoint just below the oldest kept row, trusting its hash).
 *
 * The walk itself (chain-walker.ts) checks each row's seq, hash, link and checkpoint. At the
 * end, nothing may lie beyond the last row: no checkpoint, no head, no verified record (else
 * the tail was cut off). An intact walk that passed a checkpoint newer than the record it
 * started from writes a new record, signed with the worker's key.
 */
import type { KeyObject } from 'node:crypto';
import { RequestLogger, type LoggedRequest } from '@trust-broker/service-kit/logging';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { auditMetrics } from '../audit-events/audit-metrics';
import type { ActiveSigningKey } from '../signing-keys/signing-keys.service';
import { GENESIS_HASH } from './chain-event';
import { exactRowHash, isCheckpointRowSigned, walkChain, type BreakReason, type CheckpointRow, type SnapshotQuery } from './chain-walker';
import { newestVerification, recordVerification, type TrustedVerification } from './verification-records';

export type { BreakReason } from './chain-walker';

export interface VerifyReport {
  intact: boolean;
  /** Rows of the chain this answer vouches for: from its first kept row to the last one checked (before the break). */
  checked: number;
  broken_at: number | null;
  reason: BreakReason | null;
  /** Whether this walk started at the chain's first row (a full walk) rather than at a verified checkpoint. */
  full: boolean;
  /** The first seq this walk read (null when there was no row to read). */
  from: number | null;
  /** Rows read and hashed by this walk. */
  walked: number;
  /** Verification records skipped because their signature does not verify (forged or foreign). */
  untrusted_records: number;
}

export interface VerifyProgress {
  checked: number;
  walked: number;
  /** The last seq checked so far, and the last row of the snapshot. */
  seq: number;
  last: number;
}

export interface VerifyOptions {
  /** Walk from the first row, whatever earlier walks recorded. */
  full?: boolean;
  onProgress?: (progress: VerifyProgress) => void;
  progressEveryMs?: number;
  /** Stops the walk between pages (the client went away). */
  signal?: AbortSignal;
  pageSize?: number;
  /** The request the walk answers: its lines name it (`request_id`). */
  request?: LoggedRequest;
}

interface Start {
  afterSeq: number;
  prevHash: string;
  /** Rows before `afterSeq` + 1 that the answer vouches for (an incremental start's verified rows). */
  coveredBefore: number;
  full: boolean;
  from: number;
}

interface Outcome {
  report: VerifyReport;
  rechecked?: number;
  /** The checkpoint to record as verified, when the walk passed one newer than its start. */
  record?: { checkpoint_seq: number; checkpoint_hash: string; from_seq: number };
}

export class ChainVerifier {
  private readonly logger = new RequestLogger('AuditVerify');

  constructor(
    private readonly dataSource: DataSource,
    private readonly trustedKeys: () => Promise<Map<string, { key: KeyObject }>>,
    private readonly signingKey: ActiveSigningKey,
  ) {}

  /** One REPEATABLE READ snapshot for the whole walk: appends and pruning meanwhile do not disturb it. */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const keys = await this.trustedKeys();
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    let outcome: Outcome;
    try {
      await runner.startTransaction('REPEATABLE READ');
      outcome = await this.check(client, (sql, params) => runner.query(sql, params), keys, options);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    auditMetrics.verifyRows.inc(outcome.report.walked);
    auditMetrics.verifyRechecked.inc(outcome.rechecked ?? 0);
    if (outcome.record) {
      // The walk's answer stands without it; the next walk then starts further back.
      await recordVerification((sql, params) => this.dataSource.query(sql, params), this.signingKey, outcome.record).catch((error: Error) =>
        this.logger.warn(options.request, `verification record for checkpoint ${outcome.record!.checkpoint_seq} not written: ${error.message}`),
      );
    }
    return outcome.report;
  }

  private async check(client: PoolClient, query: SnapshotQuery, keys: Map<string, { key: KeyObject }>, options: VerifyOptions): Promise<Outcome> {
    const [firstRows, lastRows, headRows, lastCheckpointRows, newest] = [
      (await query(`SELECT seq FROM audit.events ORDER BY seq LIMIT 1`)) as { seq: string }[],
      (await query(`SELECT seq FROM audit.events ORDER BY seq DESC LIMIT 1`)) as { seq: string }[],
      (await query(`SELECT seq FROM audit.chain_head WHERE id = 1`)) as { seq: string }[],
      (await query(`SELECT max(seq) AS seq FROM audit.checkpoints`)) as { seq: string | null }[],
      await newestVerification(query, keys),
    ];
    const firstSeq = firstRows.length > 0 ? Number(firstRows[0]!.seq) : undefined;
    const lastRowSeq = lastRows.length > 0 ? Number(lastRows[0]!.seq) : 0;
    const headSeq = headRows.length > 0 ? Number(headRows[0]!.seq) : 0;
    const lastCheckpointSeq = Number(lastCheckpointRows[0]?.seq ?? 0);
    const verified = newest.trusted;
    const checkpointAt = async (seq: number): Promise<CheckpointRow | undefined> =>
      ((await query(`SELECT seq, hash, created_at, kid, signature FROM audit.checkpoints WHERE seq = $1`, [seq])) as CheckpointRow[])[0];

    const report = (fields: Pick<VerifyReport, 'checked' | 'full' | 'from' | 'walked'> & { broken_at?: number; reason?: BreakReason }): VerifyReport => ({
      intact: fields.reason === undefined,
      checked: fields.checked,
      broken_at: fields.broken_at ?? null,
      reason: fields.reason ?? null,
      full: fields.full,
      from: fields.from,
      walked: fields.walked,
      untrusted_records: newest.untrusted,
    });
    const brokenBeforeWalk = (full: boolean, at: number, reason: BreakReason): Outcome => ({
      report: report({ checked: 0, broken_at: at, reason, full, from: null, walked: 0 }),
    });

    // The base: the genesis, or after pruning the signed checkpoint right below the oldest kept row.
    let base: Start = { afterSeq: 0, prevHash: GENESIS_HASH, coveredBefore: 0, full: true, from: 1 };
    if (firstSeq !== undefined && firstSeq > 1) {
      const anchorSeq = firstSeq - 1;
      const anchor = await checkpointAt(anchorSeq);
      if (!anchor) {
        const below = (await query(`SELECT max(seq) AS seq FROM audit.checkpoints WHERE seq < $1`, [anchorSeq])) as { seq: string | null }[];
        return brokenBeforeWalk(true, below[0]?.seq != null ? Number(below[0].seq) + 1 : 1, 'seq_gap');
      }
      if (!isCheckpointRowSigned(keys, anchor)) return brokenBeforeWalk(true, anchorSeq, 'checkpoint_signature_invalid');
      base = { afterSeq: anchorSeq, prevHash: anchor.hash, coveredBefore: 0, full: true, from: firstSeq };
    }

    let start = base;
    if (!options.full && verified && verified.checkpointSeq > base.afterSeq) {
      const incremental = await this.incrementalStart(query, keys, verified, firstSeq ?? 1, lastRowSeq, checkpointAt);
      if ('reason' in incremental) return brokenBeforeWalk(false, incremental.at, incremental.reason);
      start = incremental;
    }

    const walk = await walkChain(client, query, {
      afterSeq: start.afterSeq,
      prevHash: start.prevHash,
      trustedKeys: keys,
      pageSize: options.pageSize,
      signal: options.signal,
      progressEveryMs: options.progressEveryMs,
      onProgress: options.onProgress
        ? (progress) =>
            options.onProgress!({ checked: start.coveredBefore + progress.walked, walked: progress.walked, seq: progress.seq, last: lastRowSeq })
        : undefined,
    });
    const walked = walk.walked + (start.full ? 0 : 1); // an incremental start re-read its checkpoint's row
    const from = walked > 0 ? start.from : null;
    const checked = start.coveredBefore + walk.walked;
    const rechecked = walk.rechecked;
    if (walk.broken) {
      return { report: report({ checked, broken_at: walk.broken.at, reason: walk.broken.reason, full: start.full, from, walked }), rechecked };
    }

    const lastSeq = walk.lastSeq;
    if (lastCheckpointSeq > lastSeq || headSeq > lastSeq || (verified !== undefined && verified.checkpointSeq > lastSeq)) {
      return { report: report({ checked, broken_at: lastSeq + 1, reason: 'head_truncated', full: start.full, from, walked }), rechecked };
    }
    // A full walk passed the verified checkpoint's row: the checkpoint itself must still be there.
    if (start.full && verified && verified.checkpointSeq > base.afterSeq) {
      const checkpoint = await checkpointAt(verified.checkpointSeq);
      const reason = !checkpoint ? 'checkpoint_missing' : checkpoint.hash !== verified.checkpointHash ? 'checkpoint_hash_mismatch' : undefined;
      if (reason) return { report: report({ checked, broken_at: verified.checkpointSeq, reason, full: true, from, walked }), rechecked };
    }

    const intact = report({ checked, full: start.full, from, walked });
    const passed = walk.lastCheckpoint;
    if (passed && passed.seq > (verified?.checkpointSeq ?? 0)) {
      return { report: intact, rechecked, record: { checkpoint_seq: passed.seq, checkpoint_hash: passed.hash, from_seq: start.from } };
    }
    return { report: intact, rechecked };
  }

  /**
   * Starting at a verified checkpoint: it must still exist, be signed by a trusted key and name
   * the hash the record names, and its row must still be there and hash to it.
   */
  private async incrementalStart(
    query: SnapshotQuery,
    keys: Map<string, { key: KeyObject }>,
    verified: TrustedVerification,
    firstSeq: number,
    lastRowSeq: number,
    checkpointAt: (seq: number) => Promise<CheckpointRow | undefined>,
  ): Promise<Start | { at: number; reason: BreakReason }> {
    const seq = verified.checkpointSeq;
    if (seq > lastRowSeq) return { at: lastRowSeq + 1, reason: 'head_truncated' };
    const checkpoint = await checkpointAt(seq);
    if (!checkpoint) return { at: seq, reason: 'checkpoint_missing' };
    if (!isCheckpointRowSigned(keys, checkpoint)) return { at: seq, reason: 'checkpoint_signature_invalid' };
    if (checkpoint.hash !== verified.checkpointHash) return { at: seq, reason: 'checkpoint_hash_mismatch' };
    const row = await exactRowHash(query, seq);
    if (!row) return { at: seq, reason: 'seq_gap' };
    if (row.stored.hash !== verified.checkpointHash) return { at: seq, reason: 'checkpoint_hash_mismatch' };
    if (row.computed !== row.stored.hash) return { at: seq, reason: 'hash_mismatch' };
    return { afterSeq: seq, prevHash: verified.checkpointHash, coveredBefore: seq - firstSeq + 1, full: false, from: seq };
  }
}
