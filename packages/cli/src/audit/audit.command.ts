/**
 * `trust-broker audit tail|verify`: reads the audit trail (audit-worker) and checks
 * its hash chain. `verify` exits non-zero when the chain is broken.
 */
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { AuditChainBrokenError } from '../cli.errors';
import { formatTable } from '../output/output';
import { parseChoice, parsePositiveInteger, parseRfc3339 } from '../options/option-parsers';
import type { Query } from '../api/admin-api';

type AuditEvent = Record<string, unknown> & { id: string; occurred_at: string };

export interface AuditVerification {
  intact: boolean;
  checked: number;
  broken_at: number | null;
  reason: string | null;
}

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

/** Verification as one line for people. */
export function describeVerification(result: AuditVerification): string {
  if (result.intact) return `audit chain intact: ${result.checked} events checked`;
  return `audit chain BROKEN at sequence ${result.broken_at ?? '?'}: ${result.reason ?? 'no reason given'} (${result.checked} events checked)`;
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
    .description('walk the hash chain of the audit trail; exit 1 when it is broken')
    .action(async () => {
      const result = await context.audit().call<AuditVerification>('GET', '/v1/audit/verify');
      context.printResult(describeVerification(result), result);
      if (!result.intact) throw new AuditChainBrokenError(describeVerification(result));
    });

  return audit;
}
