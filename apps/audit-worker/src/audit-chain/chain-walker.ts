/**
 * The hot loop of GET /v1/audit/verify: reads the chain in keyset pages (`seq > last ORDER
 * BY seq LIMIT n`, never OFFSET) and checks, row by row, that the seq follows the previous
 * one, that the row's content hashes to its `hash`, that its `prev_hash` is the previous
 * row's hash, and that a checkpoint at its seq is signed by a trusted key and names its hash.
 *
 * What makes it fast (measured in bench/README.md, "Audit chain verification"):
 * - Postgres writes each row's canonical form around `details` (the RFC 8785 text of the
 *   other 18 fields, in key order, strings escaped by `to_json`, `occurred_at` as
 *   `toISOString()` prints it), so Node receives six text fields per row, not 22 typed ones;
 *   only `details` is parsed and canonicalised here.
 * - Rows are handled as the driver reads them (their text values, see RawRowQuery), so a page
 *   is never held in memory and no row object is built.
 * - The hash input is written into one reused buffer and hashed with one-shot `crypto.hash`.
 *
 * The SQL-built canonical form is a fast path, not a second definition of the hash: a row
 * whose fast form does not hash to its `hash` is read again the ordinary way (the driver's
 * types, `eventFromRow`, `canonicalize`) and only a mismatch there is reported. Both forms
 * are built from every column of the row, with the same escaping, so a changed value
 * changes either one.
 */
import { hash as oneShotHash, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { Query, type PoolClient, type QueryConfig } from 'pg';
import { isCheckpointSignatureValid } from '../signing-keys/checkpoint-signature';
import { EVENT_COLUMNS, canonicalEvent, chainHash, eventFromRow, type EventRow } from './chain-event';

export type BreakReason =
  | 'seq_gap'
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_hash_mismatch'
  | 'checkpoint_missing'
  | 'head_truncated';

export interface ChainBreak {
  at: number;
  reason: BreakReason;
}

export interface WalkResult {
  /** Rows checked (before the break, if any). */
  walked: number;
  /** The last row that passed (the start position when none did). */
  lastSeq: number;
  lastHash: string;
  /** The newest checkpoint the walk passed (signed, naming the row's hash). */
  lastCheckpoint: { seq: number; hash: string } | undefined;
  broken: ChainBreak | undefined;
  /** Rows whose SQL-built canonical form did not match and that were checked the ordinary way. */
  rechecked: number;
}

export interface WalkProgress {
  walked: number;
  seq: number;
}

export interface WalkOptions {
  /** Walk the rows after this seq ... */
  afterSeq: number;
  /** ... whose first must link to this hash. */
  prevHash: string;
  trustedKeys: Map<string, { key: KeyObject }>;
  pageSize?: number;
  onProgress?: (progress: WalkProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

/** A query on the walk's connection (its snapshot), rows parsed by the driver's types. */
export type SnapshotQuery = (sql: string, params?: unknown[]) => Promise<never[]>;

interface PageCheckpoint {
  seq: number;
  hash: string;
  signed: boolean;
}

/** A checkpoint row as the driver returns it. */
export interface CheckpointRow {
  seq: string;
  hash: string;
  created_at: Date;
  kid: string;
  signature: string;
}

export const DEFAULT_PAGE_SIZE = 10_000;

/** The canonical JSON keys in RFC 8785 order (UTF-16 code units; all ASCII here). */
const CANONICAL_KEYS = [...EVENT_COLUMNS].sort();
const DETAILS_AT = CANONICAL_KEYS.indexOf('details');

/** One member's JSON value as Postgres prints it, byte for byte what canonicalize() gives in Node. */
function jsonValueSql(column: string): string {
  // What `new Date(stored).toISOString()` prints: UTC, milliseconds (truncated, as the driver's Date does).
  if (column === 'occurred_at') return `'"' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`;
  // to_json escapes a text exactly as JSON.stringify does (", \, \b \f \n \r \t, other controls as \u00xx).
  return `coalesce(to_json(${column})::text, 'null')`;
}

function membersSql(columns: readonly string[], opening: string, closing: string): string {
  const parts = columns.map((column, i) => `'${i === 0 ? opening : ','}"${column}":' || ${jsonValueSql(column)}`);
  return [...(parts.length === 0 ? [`'${opening}'`] : parts), `'${closing}'`].join(' || ');
}

/** `head || canonical(details) || tail` is the canonical form of the row's event. */
const HEAD_SQL = membersSql(CANONICAL_KEYS.slice(0, DETAILS_AT), '{', `${DETAILS_AT === 0 ? '' : ','}"details":`);
const TAIL_SQL = membersSql(CANONICAL_KEYS.slice(DETAILS_AT + 1), ',', '}');

export const PAGE_SQL = `SELECT seq, prev_hash, hash, ${HEAD_SQL} AS head, details::text AS details, ${TAIL_SQL} AS tail
  FROM audit.events WHERE seq > $1 ORDER BY seq LIMIT $2`;
const ROW_SQL = `SELECT seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash FROM audit.events WHERE seq = $1`;
const CHECKPOINTS_SQL = `SELECT seq, hash, created_at, kid, signature FROM audit.checkpoints WHERE seq > $1 AND seq <= $2 ORDER BY seq`;

/** The ordinary (slow) hash of one stored row: the driver's types and canonicalize(). */
export async function exactRowHash(query: SnapshotQuery, seq: number): Promise<{ computed: string; stored: EventRow } | undefined> {
  const rows: EventRow[] = await query(ROW_SQL, [seq]);
  const row = rows[0];
  if (!row) return undefined;
  try {
    return { computed: chainHash(row.prev_hash, canonicalEvent(eventFromRow(row))), stored: row };
  } catch {
    return { computed: '', stored: row }; // a row that cannot even be read back as an event does not match
  }
}

/** Whether a checkpoint row is signed by a trusted key; false for anything malformed (a row changed by hand). */
export function isCheckpointRowSigned(keys: Map<string, { key: KeyObject }>, checkpoint: CheckpointRow): boolean {
  const key = keys.get(checkpoint.kid)?.key;
  if (key === undefined || !(checkpoint.created_at instanceof Date) || Number.isNaN(checkpoint.created_at.getTime())) return false;
  return isCheckpointSignatureValid(
    key,
    { seq: Number(checkpoint.seq), hash: checkpoint.hash, created_at: checkpoint.created_at.toISOString(), kid: checkpoint.kid },
    checkpoint.signature,
  );
}

/**
 * One walk's state. `onRow` runs for every row the driver reads; it must never throw (it runs
 * inside the driver's socket handler) and never wait, so it stops at the first row it cannot
 * settle and lets the page run out.
 */
class RowChecker {
  expectedSeq: number;
  prevHash: string;
  walked = 0;
  lastCheckpoint: { seq: number; hash: string } | undefined;
  broken: ChainBreak | undefined;
  /** A row whose fast form did not match: checked the ordinary way after the page. */
  recheck: { seq: number; prevHash: string; hash: string } | undefined;
  stopped = false;
  private checkpoints: PageCheckpoint[] = [];
  private nextCheckpoint = 0;
  private buffer = Buffer.allocUnsafe(64 * 1024);

  constructor(afterSeq: number, prevHash: string) {
    this.expectedSeq = afterSeq + 1;
    this.prevHash = prevHash;
  }

  startPage(checkpoints: PageCheckpoint[]): void {
    this.checkpoints = checkpoints;
    this.nextCheckpoint = 0;
  }

  /** [seq, prev_hash, hash, head, details, tail] */
  readonly onRow = (row: Array<string | null>): void => {
    if (this.stopped) return;
    const seq = Number(row[0]);
    const rowPrev = row[1] ?? '';
    const rowHash = row[2] ?? '';
    if (seq !== this.expectedSeq) {
      this.stop({ at: this.expectedSeq, reason: 'seq_gap' });
      return;
    }
    let matches = false;
    try {
      const head = row[3];
      const tail = row[5];
      const details = row[4];
      const canonicalDetails = details === null ? 'null' : (canonicalize(JSON.parse(details)) ?? 'null');
      matches = head !== null && tail !== null && this.fastHash(rowPrev, head, canonicalDetails, tail) === rowHash;
    } catch {
      // e.g. details nested too deep for canonicalize (only a changed row has that): the ordinary way decides.
    }
    if (!matches) {
      this.recheck = { seq, prevHash: rowPrev, hash: rowHash };
      this.stopped = true;
      return;
    }
    this.passed(seq, rowPrev, rowHash);
  };

  /** The checks after the row's own hash: the link to the previous row and a checkpoint at its seq. */
  passed(seq: number, rowPrev: string, rowHash: string): void {
    if (rowPrev !== this.prevHash) {
      this.stop({ at: seq, reason: 'prev_hash_mismatch' });
      return;
    }
    this.walked += 1;
    const checkpoints = this.checkpoints;
    while (this.nextCheckpoint < checkpoints.length && checkpoints[this.nextCheckpoint]!.seq < seq) this.nextCheckpoint += 1;
    const checkpoint = checkpoints[this.nextCheckpoint];
    if (checkpoint !== undefined && checkpoint.seq === seq) {
      if (!checkpoint.signed) {
        this.stop({ at: seq, reason: 'checkpoint_signature_invalid' });
        return;
      }
      if (checkpoint.hash !== rowHash) {
        this.stop({ at: seq, reason: 'checkpoint_hash_mismatch' });
        return;
      }
      this.lastCheckpoint = { seq, hash: rowHash };
    }
    this.prevHash = rowHash;
    this.expectedSeq = seq + 1;
  }

  stop(broken: ChainBreak): void {
    this.broken = broken;
    this.stopped = true;
  }

  private fastHash(prevHex: string, head: string, details: string, tail: string): string {
    const most = 32 + 3 * (head.length + details.length + tail.length); // UTF-8: at most 3 bytes per UTF-16 unit
    if (most > this.buffer.length) this.buffer = Buffer.allocUnsafe(most * 2);
    const buffer = this.buffer;
    buffer.write(prevHex, 0, 32, 'hex');
    let end = 32;
    end += buffer.write(head, end, 'utf8');
    end += buffer.write(details, end, 'utf8');
    end += buffer.write(tail, end, 'utf8');
    return oneShotHash('sha256', buffer.subarray(0, end), 'hex');
  }
}

/**
 * One page as a stream of raw rows: node-pg's `Query` with its row handling replaced, so each
 * DataRow's text values go straight to `onFields` (no row array, no type parsing) and nothing
 * is kept. (A plain `Query` with a 'row' listener still keeps every row when the pool sets
 * `query_timeout`, as ours does: the timeout wraps a callback, and a callback makes it
 * accumulate the page; measured: 75 MB of garbage promoted per 250,000 rows, 50% more CPU.)
 * `handleDataRow` is the hook pg-cursor and pg-query-stream use too; if it ever stopped being
 * called, every page would come back empty and verify would report the rows missing.
 */
class RawRowQuery extends Query {
  constructor(
    config: QueryConfig<[number, number]>,
    private readonly onFields: (fields: Array<string | null>) => void,
  ) {
    super(config);
  }

  handleDataRow(message: { fields: Array<string | null> }): void {
    this.onFields(message.fields);
  }
}

function streamPage(client: PoolClient, afterSeq: number, pageSize: number, onRow: (row: Array<string | null>) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    const query = client.query(
      new RawRowQuery({ name: 'audit-verify-page', text: PAGE_SQL, values: [afterSeq, pageSize] }, (fields) => {
        rows += 1;
        onRow(fields);
      }),
    );
    query.on('end', () => resolve(rows));
    query.on('error', reject);
  });
}

/**
 * Walks from `afterSeq` + 1 to the last row of the snapshot `client` reads in (or to the
 * first break). `query` must read the same snapshot (the same connection).
 */
export async function walkChain(client: PoolClient, query: SnapshotQuery, options: WalkOptions): Promise<WalkResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const checker = new RowChecker(options.afterSeq, options.prevHash);
  let rechecked = 0;
  let lastProgress = Date.now();
  for (;;) {
    options.signal?.throwIfAborted();
    const from = checker.expectedSeq - 1;
    const checkpointRows: CheckpointRow[] = await query(CHECKPOINTS_SQL, [from, from + pageSize]);
    checker.startPage(
      checkpointRows.map((row) => ({ seq: Number(row.seq), hash: row.hash, signed: isCheckpointRowSigned(options.trustedKeys, row) })),
    );
    checker.stopped = false;
    const rows = await streamPage(client, from, pageSize, checker.onRow);
    if (checker.broken) break;
    const recheck = checker.recheck;
    if (recheck) {
      checker.recheck = undefined;
      rechecked += 1;
      const exact = await exactRowHash(query, recheck.seq);
      if (exact === undefined || exact.computed !== recheck.hash) {
        checker.stop({ at: recheck.seq, reason: 'hash_mismatch' });
        break;
      }
      checker.passed(recheck.seq, recheck.prevHash, recheck.hash);
      if (checker.broken) break;
      continue; // the rest of that page again, from the row after
    }
    if (rows === 0) break;
    if (options.onProgress && Date.now() - lastProgress >= (options.progressEveryMs ?? 1000)) {
      lastProgress = Date.now();
      options.onProgress({ walked: checker.walked, seq: checker.expectedSeq - 1 });
    }
    if (rows < pageSize) break;
  }
  return {
    walked: checker.walked,
    lastSeq: checker.expectedSeq - 1,
    lastHash: checker.prevHash,
    lastCheckpoint: checker.lastCheckpoint,
    broken: checker.broken,
    rechecked,
  };
}
