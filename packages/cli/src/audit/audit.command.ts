/**
 * `trust-broker audit tail|verify`: reads the audit trail (audit-worker) and checks
 * its hash chain. `verify` exits non-zero when the chain is broken.
 */
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { ApiRequestError, AuditChainBrokenError } from '../cli.errors';
import { formatTable } from '../output/output';
import { parseChoice, parsePositiveInteger, parseRfc3339 } from '../options/option-parsers';
import type { Query } from '../api/admin-api';

type AuditEvent = Record<string, unknown> & { id: string; occurred_at: string };

export interface AuditVerification {
  intact: boolean;
  checked: number;
  broken_at: number | null;
  reason: string | null;
  /** Added by audit-workers that verify from the last verified checkpoint. */
  full?: boolean;
  from?: number | null;
  walked?: number;
  untrusted_records?: number;
}

/** A progress line of the NDJSON answer. */
export interface VerifyProgress {
  checked: number;
  walked: number;
  seq: number;
  last: number;
}

/** Progress lines are printed at most this often (the server sends one about every second). */
export const PROGRESS_EVERY_MS = 5000;

export const AUDIT_COLUMNS = [
  { field: 'occurred_at', header: 'time' },
  { field: 'type' },
  { field: 'action' },
  { field: 'outcome' },
  { field: 'reason' },
  { field: 'issuer' },
  { field: 'client_id' },
  { field: 'subject' },
  { field: 'actor' },
] as const;

interface TailFlags {
  type?: string;
  issuer?: string;
  clientId?: string;
  subject?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit: number;
  follow?: boolean;
  interval: number;
}

export function buildAuditQuery(flags: TailFlags): Query {
  return {
    type: flags.type,
    issuer: flags.issuer,
    client_id: flags.clientId,
    subject: flags.subject,
    outcome: flags.outcome,
    since: flags.since,
    until: flags.until,
    limit: flags.limit,
  };
}

/** How the walk went, when the server says (older audit-workers always walked everything). */
function describeWalk(result: AuditVerification): string {
  if (result.full === true) return `, full walk of ${result.walked ?? result.checked} rows`;
  if (result.full === false && result.from != null) return `, ${result.walked ?? 0} rows walked from the verified checkpoint at sequence ${result.from}`;
  return '';
}

/** Verification as one line for people. */
export function describeVerification(result: AuditVerification): string {
  if (result.intact) return `audit chain intact: ${result.checked} events checked${describeWalk(result)}`;
  return `audit chain BROKEN at sequence ${result.broken_at ?? '?'}: ${result.reason ?? 'no reason given'} (${result.checked} events checked${describeWalk(result)})`;
}

/** One progress line for people: where the walk is, of how far, and how fast. */
export function describeProgress(progress: VerifyProgress, elapsedMs: number): string {
  const percent = progress.last > 0 ? Math.floor((progress.seq / progress.last) * 100) : 100;
  const rate = elapsedMs > 0 ? Math.round((progress.walked / elapsedMs) * 1000) : 0;
  return `verifying: sequence ${progress.seq} of ${progress.last} (${percent}%), ${progress.walked} rows walked, ${rate} rows/s`;
}

function isProgressLine(value: unknown): value is { progress: VerifyProgress } {
  return typeof value === 'object' && value !== null && 'progress' in value && typeof (value as { progress: unknown }).progress === 'object';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function buildAuditCommand(context: CommandContext): Command {
  const audit = new Command('audit').description('the audit trail (audit API)');

  audit
    .command('tail')
    .description('show the latest audit events, oldest first (newest last)')
    .option('--type <type>', 'token, introspection, revocation or admin', parseChoice(['token', 'introspection', 'revocation', 'admin']))
    .option('--issuer <iss>', "events of this issuer's 'iss'")
    .option('--client-id <id>', 'events of this client')
    .option('--subject <sub>', 'events for this subject')
    .option('--outcome <outcome>', 'success or failure', parseChoice(['success', 'failure']))
    .option('--since <time>', 'RFC 3339 time', parseRfc3339)
    .option('--until <time>', 'RFC 3339 time', parseRfc3339)
    .option('--limit <n>', 'how many (1 to 100)', parsePositiveInteger, 20)
    .option('-f, --follow', 'keep polling for new events (Ctrl-C stops)')
    .option('--interval <seconds>', 'seconds between polls with --follow', parsePositiveInteger, 2)
    .action(async (flags: TailFlags) => {
      const api = context.audit();
      const output = context.environment.output;
      const json = context.config().json;
      const query = buildAuditQuery(flags);
      const page = await api.call<{ items: AuditEvent[]; next_cursor: string | null }>('GET', '/v1/audit/events', { query });
      if (!flags.follow) {
        if (json) output.out(JSON.stringify(page, null, 2));
        else output.out(page.items.length === 0 ? '(no events)' : formatTable([...page.items].reverse(), AUDIT_COLUMNS));
        return;
      }
      const seen = new Set<string>();
      let batch = [...page.items].reverse();
      for (;;) {
        const fresh = batch.filter((event) => !seen.has(event.id));
        for (const event of fresh) seen.add(event.id);
        if (fresh.length > 0) output.out(json ? fresh.map((event) => JSON.stringify(event)).join('\n') : formatTable(fresh, AUDIT_COLUMNS));
        await sleep(flags.interval * 1000);
        const newest = fresh.at(-1)?.occurred_at ?? batch.at(-1)?.occurred_at ?? query.since;
        const next = await api.call<{ items: AuditEvent[] }>('GET', '/v1/audit/events', { query: { ...query, since: newest as string | undefined, limit: 100 } });
        batch = [...next.items].reverse();
      }
    });

  audit
    .command('verify')
    .description('check the hash chain of the audit trail from the last verified checkpoint (--full: all of it); exit 1 when it is broken')
    .option('--full', 'walk the whole chain, not only what follows the last verified checkpoint')
    .option('--no-progress', 'do not print progress lines (stderr) during a long walk')
    .action(async (flags: { full?: boolean; progress: boolean }) => {
      const output = context.environment.output;
      const json = context.config().json;
      const started = Date.now();
      let printedAt = 0;
      const onLine = (line: unknown) => {
        if (!flags.progress || !isProgressLine(line) || Date.now() - printedAt < PROGRESS_EVERY_MS) return;
        printedAt = Date.now();
        output.err(json ? JSON.stringify(line) : describeProgress(line.progress, printedAt - started));
      };
      const result = await context.audit().stream<AuditVerification>('/v1/audit/verify', { full: flags.full ? 'true' : undefined }, onLine);
      if (typeof result?.intact !== 'boolean') throw new ApiRequestError(200, 'invalid_response', 'the verification did not finish', '/v1/audit/verify');
      if ((result.untrusted_records ?? 0) > 0) {
        output.err(`warning: ${result.untrusted_records} verification records did not verify (forged or signed by an unknown key) and were skipped`);
      }
      context.printResult(describeVerification(result), result);
      if (!result.intact) throw new AuditChainBrokenError(describeVerification(result));
    });

  return audit;
}
