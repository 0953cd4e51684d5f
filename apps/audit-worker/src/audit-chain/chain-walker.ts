/**
 * The hot loop of GET /v1/audit/verify: reads the chain in keyset pages (`seq > last ORDER
 * BY seq LIMIT n`, never OFFSET) and checks, row by row, that the seq follows the previous
 * one, that the row's content hashes to its `hash`, that its `prev_hash` is the previous
 * row's hash, and that a checkpoint at its seq is signed by a trusted key and names its hash.
 *
 * What makes it fast (measured in bench/README.md, "Audit chain verification"):
 * - Each page is a binary `COPY (SELECT ...) TO STDOUT`: Postgres sends the stored columns
 *   as they are (no JSON built there, no text formatting of the uuid and timestamp), and
 *   node-pg hands over each row as one buffer (no strings decoded, no row object).
 * - The row's canonical form (RFC 8785) is written from those bytes into one reused buffer:
 *   strings copied with JSON escaping, the uuid and `occurred_at` formatted from their binary
 *   form, flat `details` objects reordered without parsing; only other `details` go through
 *   JSON.parse and canonicalize. Then one one-shot `crypto.hash`.
 *
 * That canonical form is a fast path, not a second definition of the hash: a row whose fast
 * form does not hash to its `hash` is read again the ordinary way (the driver's types,
 * `eventFromRow`, `canonicalize`) and only a mismatch there is reported. The fast form is
 * built from every column of the row, each byte escaped as JSON.stringify escapes it, so a
 * changed value changes it.
 */
import { hash as oneShotHash, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { PoolClient } from 'pg';
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
  /** Rows whose fast canonical form did not match and that were checked the ordinary way. */
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
/** How each column arrives in the binary COPY (the others are text). */
const enum Kind {
  Text,
  Uuid,
  Timestamptz,
  Jsonb,
}
const KINDS = CANONICAL_KEYS.map((column) =>
  column === 'id' ? Kind.Uuid : column === 'occurred_at' ? Kind.Timestamptz : column === 'details' ? Kind.Jsonb : Kind.Text,
);
/** `{"action":"`, `,"actor":"`, ...: what precedes each value (a text's opening quote included). */
const KEY_PREFIXES = CANONICAL_KEYS.map((column, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(column)}:${KINDS[i] === Kind.Text ? '"' : ''}`, 'latin1'));
/** `{"action":null`, `,"actor":null`, ...: a NULL column's whole member. */
const NULL_MEMBERS = CANONICAL_KEYS.map((column, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(column)}:null`, 'latin1'));
/** seq, prev_hash, hash, then the event's columns in canonical order. */
const FIELDS = 3 + CANONICAL_KEYS.length;

/** One page as a binary COPY (COPY takes no parameters: both numbers are checked integers). */
export function pageCopySql(afterSeq: number, pageSize: number): string {
  if (!Number.isSafeInteger(afterSeq) || !Number.isSafeInteger(pageSize) || pageSize < 1) throw new Error('page bounds must be integers');
  return `COPY (SELECT seq, prev_hash, hash, ${CANONICAL_KEYS.join(', ')} FROM audit.events WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${pageSize}) TO STDOUT (FORMAT binary)`;
}

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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** "00" to "99". */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0')).join(''), 'latin1');
/** `\b`, `\t`, `\n`, `\f`, `\r` by control byte (0 for those JSON.stringify writes as \u00xx). */
const SHORT_ESCAPES = new Uint8Array(32);
SHORT_ESCAPES[0x08] = 0x62;
SHORT_ESCAPES[0x09] = 0x74;
SHORT_ESCAPES[0x0a] = 0x6e;
SHORT_ESCAPES[0x0c] = 0x66;
SHORT_ESCAPES[0x0d] = 0x72;
/** 2000-01-01T00:00:00Z (Postgres' epoch) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const DAY_MS = 86_400_000;
/** Members of a flat `details` object reordered without parsing; more go the ordinary way. */
const MAX_FLAT_MEMBERS = 64;
const BINARY_COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Thrown inside a row's fast form when it cannot be built (the ordinary way decides). */
class NoFastForm extends Error {}
const NO_FAST_FORM = new NoFastForm();

/**
 * One walk's state. `onTuple` runs for every row the driver reads; it must never throw (it runs
 * inside the driver's socket handler) and never wait, so it stops at the first row it cannot
 * settle and lets the page run out.
 */
class RowChecker {
  expectedSeq: number;
  /** The previous row's hash (hex). */
  lastHash: string;
  walked = 0;
  lastCheckpoint: { seq: number; hash: string } | undefined;
  broken: ChainBreak | undefined;
  /** A row whose fast form did not match: checked the ordinary way after the page. */
  recheck: { seq: number; prevHash: string; hash: string } | undefined;
  /** The page's rows did not have the expected layout (not a chain break: the walk fails). */
  failure: Error | undefined;
  stopped = false;
  private checkpoints: PageCheckpoint[] = [];
  private nextCheckpoint = 0;
  /** The hash input: prev_hash's 32 bytes, then the canonical form. */
  private out = Buffer.allocUnsafe(64 * 1024);
  /** A tuple's field offsets and lengths (-1: NULL). */
  private readonly starts = new Int32Array(FIELDS);
  private readonly lengths = new Int32Array(FIELDS);
  private readonly memberAt = new Int32Array(MAX_FLAT_MEMBERS * 4);
  private readonly memberOrder = new Int32Array(MAX_FLAT_MEMBERS);
  private cachedDay = Number.NaN;
  private readonly cachedDate = Buffer.alloc(11); // YYYY-MM-DDT

  constructor(afterSeq: number, prevHash: string) {
    this.expectedSeq = afterSeq + 1;
    this.lastHash = prevHash;
  }

  startPage(checkpoints: PageCheckpoint[]): void {
    this.checkpoints = checkpoints;
    this.nextCheckpoint = 0;
  }

  /** One CopyData message: the header (first message), rows, the trailer (-1). */
  onCopyData(chunk: Buffer, first: boolean): number {
    let rows = 0;
    let at = 0;
    if (first) {
      if (chunk.length < 19 || !chunk.subarray(0, 11).equals(BINARY_COPY_SIGNATURE)) return this.fail('not a binary COPY');
      at = 19 + chunk.readInt32BE(15);
    }
    while (at < chunk.length) {
      if (at + 2 > chunk.length) return this.fail('a truncated COPY row');
      const count = (((chunk[at]! << 8) | chunk[at + 1]!) << 16) >> 16; // int16
      at += 2;
      if (count === -1) continue;
      if (count !== FIELDS) return this.fail(`COPY rows of ${count} fields`);
      for (let i = 0; i < FIELDS; i += 1) {
        if (at + 4 > chunk.length) return this.fail('a truncated COPY row');
        const length = (chunk[at]! << 24) | (chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!; // int32, -1: NULL
        at += 4;
        this.starts[i] = at;
        this.lengths[i] = length;
        if (length > 0) at += length;
      }
      if (at > chunk.length) return this.fail('a truncated COPY row');
      rows += 1;
      if (!this.stopped) this.onTuple(chunk);
    }
    return rows;
  }

  private fail(why: string): number {
    this.failure ??= new Error(`verify: ${why}`);
    this.stopped = true;
    return 0;
  }

  private onTuple(row: Buffer): void {
    const { starts, lengths } = this;
    const seq = lengths[0] === 8 ? row.readInt32BE(starts[0]!) * 4_294_967_296 + row.readUInt32BE(starts[0]! + 4) : Number.NaN;
    if (seq !== this.expectedSeq) {
      this.stop({ at: this.expectedSeq, reason: 'seq_gap' });
      return;
    }
    // Both are 64 ASCII characters in the intact case (CHECK constraints); anything else is rechecked.
    const rowPrev = lengths[1]! < 0 ? '' : row.toString('latin1', starts[1], starts[1]! + lengths[1]!);
    const rowHash = lengths[2]! < 0 ? '' : row.toString('latin1', starts[2], starts[2]! + lengths[2]!);
    let digest = '';
    if (rowPrev.length === 64) {
      try {
        digest = oneShotHash('sha256', this.out.subarray(0, this.canonicalForm(row, rowPrev)), 'hex');
      } catch {
        // no fast form (NoFastForm), or details canonicalize cannot follow: the ordinary way decides.
      }
    }
    if (digest === '' || digest !== rowHash) {
      this.recheck = { seq, prevHash: rowPrev, hash: rowHash };
      this.stopped = true;
      return;
    }
    this.passed(seq, rowPrev, rowHash);
  }

  /** A row the ordinary way found matching: the rest of its checks. */
  passed(seq: number, rowPrev: string, rowHash: string): void {
    if (rowPrev !== this.lastHash) {
      this.stop({ at: seq, reason: 'prev_hash_mismatch' });
      return;
    }
    this.lastHash = rowHash;
    this.passedRow(seq);
  }

  /** After the row's hash and link: a checkpoint at its seq. `lastHash` is the row's hash. */
  private passedRow(seq: number): void {
    this.walked += 1;
    const checkpoints = this.checkpoints;
    while (this.nextCheckpoint < checkpoints.length && checkpoints[this.nextCheckpoint]!.seq < seq) this.nextCheckpoint += 1;
    const checkpoint = checkpoints[this.nextCheckpoint];
    if (checkpoint !== undefined && checkpoint.seq === seq) {
      if (!checkpoint.signed) {
        this.stop({ at: seq, reason: 'checkpoint_signature_invalid' });
        return;
      }
      const rowHash = this.lastHash;
      if (checkpoint.hash !== rowHash) {
        this.stop({ at: seq, reason: 'checkpoint_hash_mismatch' });
        return;
      }
      this.lastCheckpoint = { seq, hash: rowHash };
    }
    this.expectedSeq = seq + 1;
  }

  stop(broken: ChainBreak): void {
    this.broken = broken;
    this.stopped = true;
  }

  /** Writes prev_hash's bytes and the row's canonical form into `out`; returns its length. */
  private canonicalForm(row: Buffer, prevHex: string): number {
    const { starts, lengths } = this;
    let rowBytes = 0;
    for (let i = 3; i < FIELDS; i += 1) rowBytes += Math.max(lengths[i]!, 0);
    // Escaping writes at most 6 bytes per byte (\u00xx); keys, quotes and nulls fit in 1 KB.
    const most = 32 + 6 * rowBytes + 1024;
    if (most > this.out.length) this.out = Buffer.allocUnsafe(most * 2);
    const out = this.out;
    if (out.write(prevHex, 0, 32, 'hex') !== 32) throw NO_FAST_FORM; // not hex: the ordinary way decides
    let at = 32;
    for (let column = 0; column < KINDS.length; column += 1) {
      const start = starts[column + 3]!;
      const length = lengths[column + 3]!;
      if (length < 0) {
        const member = NULL_MEMBERS[column]!;
        out.set(member, at);
        at += member.length;
        continue;
      }
      const prefix = KEY_PREFIXES[column]!;
      out.set(prefix, at);
      at += prefix.length;
      switch (KINDS[column]) {
        case Kind.Text:
          at = this.escaped(row, start, start + length, at);
          out[at++] = QUOTE;
          break;
        case Kind.Uuid:
          at = this.uuid(row, start, length, at);
          break;
        case Kind.Timestamptz:
          at = this.timestamp(row, start, length, at);
          break;
        case Kind.Jsonb:
          at = this.details(row, start, length, at);
          break;
      }
    }
    out[at] = 0x7d; // }
    return at + 1;
  }

  /** A text's bytes as JSON.stringify escapes them (", \, \b \t \n \f \r, other controls \u00xx). */
  private escaped(source: Buffer, from: number, to: number, at: number): number {
    const out = this.out;
    for (let i = from; i < to; i += 1) {
      const byte = source[i]!;
      if (byte >= 0x20) {
        if (byte === QUOTE || byte === BACKSLASH) out[at++] = BACKSLASH;
        out[at++] = byte;
      } else if (SHORT_ESCAPES[byte] !== 0) {
        out[at++] = BACKSLASH;
        out[at++] = SHORT_ESCAPES[byte]!;
      } else {
        out[at++] = BACKSLASH;
        out[at++] = 0x75; // u00xx
        out[at++] = 0x30;
        out[at++] = 0x30;
        out[at++] = HEX_DIGITS[byte >> 4]!;
        out[at++] = HEX_DIGITS[byte & 15]!;
      }
    }
    return at;
  }

  /** A binary uuid (16 bytes) as Postgres and the driver print it, lower case. */
  private uuid(row: Buffer, start: number, length: number, at: number): number {
    if (length !== 16) throw NO_FAST_FORM;
    const out = this.out;
    out[at++] = QUOTE;
    for (let i = 0; i < 16; i += 1) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out[at++] = 0x2d; // -
      const byte = row[start + i]!;
      out[at++] = HEX_DIGITS[byte >> 4]!;
      out[at++] = HEX_DIGITS[byte & 15]!;
    }
    out[at] = QUOTE;
    return at + 1;
  }

  /**
   * A binary timestamptz (microseconds since 2000-01-01 UTC) as `toISOString()` prints the
   * driver's Date of it: UTC, milliseconds truncated. Years past 0-9999 have no fast form.
   */
  private timestamp(row: Buffer, start: number, length: number, at: number): number {
    if (length !== 8) throw NO_FAST_FORM;
    // floor(microseconds / 1000) exactly, also past 2^53 µs (before ~1715): 2^32 = 4,294,967 * 1000 + 296.
    const high = row.readInt32BE(start);
    const ms = high * 4_294_967 + Math.floor((high * 296 + row.readUInt32BE(start + 4)) / 1000) + PG_EPOCH_MS;
    const day = Math.floor(ms / DAY_MS);
    const out = this.out;
    if (day !== this.cachedDay) {
      // Days to a civil date (H. Hinnant's algorithm, proleptic Gregorian as Date uses).
      const z = day + 719_468;
      const era = Math.floor(z / 146_097);
      const dayOfEra = z - era * 146_097;
      const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
      const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
      const shifted = Math.floor((5 * dayOfYear + 2) / 153);
      const date = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
      const month = shifted < 10 ? shifted + 3 : shifted - 9;
      const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
      if (year < 0 || year > 9999) throw NO_FAST_FORM;
      const text = this.cachedDate;
      digits(text, 0, year, 4);
      text[4] = 0x2d;
      digits(text, 5, month, 2);
      text[7] = 0x2d;
      digits(text, 8, date, 2);
      text[10] = 0x54; // T
      this.cachedDay = day;
    }
    out[at++] = QUOTE;
    for (let i = 0; i < 11; i += 1) out[at + i] = this.cachedDate[i]!;
    at += 11;
    let rest = ms - day * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    const hundreds = Math.floor(millis / 100);
    out[at] = DIGIT_PAIRS[2 * hours]!;
    out[at + 1] = DIGIT_PAIRS[2 * hours + 1]!;
    out[at + 2] = 0x3a; // :
    out[at + 3] = DIGIT_PAIRS[2 * minutes]!;
    out[at + 4] = DIGIT_PAIRS[2 * minutes + 1]!;
    out[at + 5] = 0x3a;
    out[at + 6] = DIGIT_PAIRS[2 * seconds]!;
    out[at + 7] = DIGIT_PAIRS[2 * seconds + 1]!;
    out[at + 8] = 0x2e; // .
    out[at + 9] = 0x30 + hundreds;
    out[at + 10] = DIGIT_PAIRS[2 * (millis - hundreds * 100)]!;
    out[at + 11] = DIGIT_PAIRS[2 * (millis - hundreds * 100) + 1]!;
    out[at + 12] = 0x5a; // Z
    out[at + 13] = QUOTE;
    return at + 14;
  }

  /**
   * Binary jsonb (a version byte, then the text Postgres prints) in canonical form. A flat
   * object (ASCII keys; strings, true, false, null, integers of up to 15 digits) is reordered
   * from its text: Postgres escapes strings as JSON.stringify does, and those values print the
   * same in JavaScript. Anything else is parsed and canonicalised.
   */
  private details(row: Buffer, start: number, length: number, at: number): number {
    if (length < 1 || row[start] !== 1) throw NO_FAST_FORM;
    const from = start + 1;
    const to = start + length;
    const flat = this.flatObject(row, from, to, at);
    if (flat >= 0) return flat;
    const canonical = canonicalize(JSON.parse(row.toString('utf8', from, to))) ?? 'null';
    const most = at + 3 * canonical.length + 1024;
    if (most > this.out.length) {
      const larger = Buffer.allocUnsafe(most * 2);
      this.out.copy(larger, 0, 0, at);
      this.out = larger;
    }
    return at + this.out.write(canonical, at, 'utf8');
  }

  /** The fast form of a flat object's text, or -1 when it is not one. */
  private flatObject(text: Buffer, from: number, to: number, at: number): number {
    if (text[from] !== 0x7b || text[to - 1] !== 0x7d) return -1; // { ... }
    const members = this.memberAt;
    let count = 0;
    let i = from + 1;
    if (i < to - 1) {
      for (;;) {
        if (count === MAX_FLAT_MEMBERS || text[i] !== QUOTE) return -1;
        const keyStart = i + 1;
        i = keyStart;
        while (i < to && text[i] !== QUOTE) {
          if (text[i] === BACKSLASH || text[i]! >= 0x80) return -1;
          i += 1;
        }
        const keyEnd = i;
        if (text[i + 1] !== 0x3a || text[i + 2] !== 0x20) return -1; // ": "
        i += 3;
        const valueStart = i;
        const first = text[i];
        if (first === QUOTE) {
          i += 1;
          while (i < to && text[i] !== QUOTE) i += text[i] === BACKSLASH ? 2 : 1;
          i += 1;
        } else if (first === 0x74 || first === 0x66 || first === 0x6e) {
          // true, false, null: Postgres prints nothing else starting with t, f or n.
          while (i < to && text[i]! >= 0x61 && text[i]! <= 0x7a) i += 1;
        } else {
          if (text[i] === 0x2d) i += 1; // -
          const digitsStart = i;
          while (i < to && text[i]! >= 0x30 && text[i]! <= 0x39) i += 1;
          const count = i - digitsStart;
          if (count === 0 || count > 15 || (count > 1 && text[digitsStart] === 0x30)) return -1;
        }
        const valueEnd = i;
        members[count * 4] = keyStart;
        members[count * 4 + 1] = keyEnd;
        members[count * 4 + 2] = valueStart;
        members[count * 4 + 3] = valueEnd;
        count += 1;
        if (i === to - 1) break; // the closing }
        if (text[i] !== 0x2c || text[i + 1] !== 0x20) return -1; // ", "
        i += 2;
      }
    }
    // Keys in UTF-16 code unit order (byte order, all ASCII): insertion sort, objects are small.
    const order = this.memberOrder;
    for (let m = 0; m < count; m += 1) {
      let j = m;
      while (j > 0 && compareBytes(text, members, order[j - 1]!, m) > 0) {
        order[j] = order[j - 1]!;
        j -= 1;
      }
      order[j] = m;
    }
    const out = this.out;
    out[at++] = 0x7b;
    for (let m = 0; m < count; m += 1) {
      const member = order[m]! * 4;
      if (m > 0) out[at++] = 0x2c;
      for (let k = members[member]! - 1; k <= members[member + 1]!; k += 1) out[at++] = text[k]!; // "key"
      out[at++] = 0x3a;
      for (let k = members[member + 2]!; k < members[member + 3]!; k += 1) out[at++] = text[k]!;
    }
    out[at++] = 0x7d;
    return at;
  }
}

/** Compares the keys of members `a` and `b` byte by byte. */
function compareBytes(text: Buffer, members: Int32Array, a: number, b: number): number {
  const aStart = members[a * 4]!;
  const aLength = members[a * 4 + 1]! - aStart;
  const bStart = members[b * 4]!;
  const bLength = members[b * 4 + 1]! - bStart;
  const length = Math.min(aLength, bLength);
  for (let i = 0; i < length; i += 1) {
    const difference = text[aStart + i]! - text[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

function digits(out: Buffer, at: number, value: number, width: number): void {
  for (let i = width - 1; i >= 0; i -= 1) {
    out[at + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
}

/**
 * One page's binary COPY on the walk's connection: node-pg passes each CopyData message
 * (one row; the first also carries the header) to `handleCopyData` without decoding it. The
 * interface is the one pg-copy-streams implements (`submit`, `handle*`, `callback`).
 */
class CopyPage {
  /** Set by node-pg when the pool has a query_timeout; called once at the end. */
  callback: ((error: Error | null) => void) | undefined;
  rows = 0;
  private first = true;
  private error: Error | undefined;

  constructor(
    private readonly text: string,
    private readonly checker: RowChecker,
    private readonly settle: (error: Error | undefined, rows: number) => void,
  ) {}

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    this.rows += this.checker.onCopyData(message.chunk, this.first);
    this.first = false;
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.done(this.error);
  }

  handleError(error: Error): void {
    this.error = error;
    this.done(error); // node-pg sends no ReadyForQuery to the query after an error
  }

  // A COPY TO never asks for these; present because node-pg may call them on any query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('not a COPY FROM');
  }

  private done(error: Error | undefined): void {
    const callback = this.callback;
    this.callback = undefined;
    callback?.(error ?? null);
    this.settle(error, this.rows);
  }
}

function copyPage(client: PoolClient, afterSeq: number, pageSize: number, checker: RowChecker): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const page = new CopyPage(pageCopySql(afterSeq, pageSize), checker, (error, rows) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(rows);
    });
    void client.query(page as never);
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
    const rows = await copyPage(client, from, pageSize, checker);
    if (checker.failure) throw checker.failure;
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
    lastHash: checker.lastHash,
    lastCheckpoint: checker.lastCheckpoint,
    broken: checker.broken,
    rechecked,
  };
}
