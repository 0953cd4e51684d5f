/**
 * What the chain hashes. An event is validated against the contract, then normalised
 * so that it reads back from Postgres exactly as it was hashed: the id in lower case,
 * `occurred_at` as UTC with milliseconds (what timestamptz and a JS Date round-trip).
 * hash = SHA-256(prev_hash bytes || RFC 8785 canonical JSON of the normalised event).
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AuditEventSchema, type AuditEvent } from '@trust-broker/contracts';

/** The prev_hash of the first event: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

export class MalformedAuditEventError extends Error {
  readonly code = 'malformed_audit_event';
  constructor(readonly problems: string[]) {
    // Paths and codes only: never the values, which could be anything a producer sent.
    super(`malformed audit event: ${problems.join('; ')}`);
    this.name = 'MalformedAuditEventError';
  }
}

/** Deep enough for any before/after record; shallow enough for every JSON parser on the way. */
export const MAX_DETAILS_DEPTH = 32;

function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DETAILS_DEPTH) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Validates and normalises a queue payload; throws MalformedAuditEventError. */
export function toChainEvent(payload: unknown): AuditEvent {
  const result = AuditEventSchema.safeParse(payload);
  if (!result.success) {
    throw new MalformedAuditEventError(result.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.code}`));
  }
  const event = result.data;
  const occurredAt = new Date(event.occurred_at);
  if (Number.isNaN(occurredAt.getTime())) throw new MalformedAuditEventError(['occurred_at: invalid_date']);
  if (event.details !== null && nestingDepth(event.details) > MAX_DETAILS_DEPTH) {
    throw new MalformedAuditEventError([`details: nested deeper than ${MAX_DETAILS_DEPTH} levels`]);
  }
  const normalised: AuditEvent = { ...event, id: event.id.toLowerCase(), occurred_at: occurredAt.toISOString() };
  // Postgres text and jsonb cannot hold U+0000; such an event could never be stored.
  if (JSON.stringify(normalised).includes('\\u0000')) throw new MalformedAuditEventError(['(event): nul_character']);
  return normalised;
}

export function canonicalEvent(event: AuditEvent): string {
  const text = canonicalize(event);
  if (text === undefined) throw new Error('event has no JSON form');
  return text;
}

/**
 * An event ready to append, encoded once as it arrives: `canonical` is the text to hash,
 * `json` the event as audit.append_events(canonicals text[], events json) stores it.
 */
export interface PreparedEvent {
  event: AuditEvent;
  canonical: string;
  json: string;
}

export function prepareEvent(event: AuditEvent): PreparedEvent {
  return { event, canonical: canonicalEvent(event), json: JSON.stringify(event) };
}

/**
 * The events of one batch (a stream entry or a legacy batch job), each checked on its own:
 * the valid ones prepared for the chain, the malformed ones named by index with their problems.
 */
export function prepareEvents(payloads: readonly unknown[]): { prepared: PreparedEvent[]; malformed: string[] } {
  const prepared: PreparedEvent[] = [];
  const malformed: string[] = [];
  payloads.forEach((payload, index) => {
    try {
      prepared.push(prepareEvent(toChainEvent(payload)));
    } catch (error) {
      if (!(error instanceof MalformedAuditEventError)) throw error;
      malformed.push(`events.${index}: ${error.problems.join(', ')}`);
    }
  });
  return { prepared, malformed };
}

export function chainHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonical, 'utf8').digest('hex');
}

/** A stored event row as the driver returns it. */
export interface EventRow {
  seq: string;
  id: string;
  type: AuditEvent['type'];
  occurred_at: Date;
  outcome: AuditEvent['outcome'];
  reason: string | null;
  error: string | null;
  actor: string | null;
  action: AuditEvent['action'];
  issuer: string | null;
  client_id: string | null;
  subject: string | null;
  kid: string | null;
  client_kid: string | null;
  jti_hash: string | null;
  scope: string | null;
  grant_type: string | null;
  request_id: string | null;
  remote_addr: string | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

export const EVENT_COLUMNS = [
  'id',
  'type',
  'occurred_at',
  'outcome',
  'reason',
  'error',
  'actor',
  'action',
  'issuer',
  'client_id',
  'subject',
  'kid',
  'client_kid',
  'jti_hash',
  'scope',
  'grant_type',
  'request_id',
  'remote_addr',
  'details',
] as const satisfies readonly (keyof AuditEvent)[];

/** Rebuilds the hashed event from its row (the inverse of how it was stored). */
export function eventFromRow(row: EventRow): AuditEvent {
  return {
    id: row.id,
    type: row.type,
    occurred_at: row.occurred_at.toISOString(),
    outcome: row.outcome,
    reason: row.reason,
    error: row.error,
    actor: row.actor,
    action: row.action,
    issuer: row.issuer,
    client_id: row.client_id,
    subject: row.subject,
    kid: row.kid,
    client_kid: row.client_kid,
    jti_hash: row.jti_hash,
    scope: row.scope,
    grant_type: row.grant_type,
    request_id: row.request_id,
    remote_addr: row.remote_addr,
    details: row.details,
  };
}

type UnstoredField = Exclude<keyof AuditEvent, (typeof EVENT_COLUMNS)[number]>;
/** Fails to compile when the contract gains a field that the events table does not store (and hash) yet. */
export const EVERY_FIELD_STORED: [UnstoredField] extends [never] ? true : never = true;
