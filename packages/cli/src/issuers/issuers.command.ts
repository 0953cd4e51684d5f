/**
 * `trust-broker issuers add|list|show|update|disable|refresh`: the trusted issuers of
 * the admin API. An issuer is named by its `id` or by its `iss` value.
 */
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { addRefreshTokenCommands } from '../refresh-tokens/refresh-tokens.command';
import type { AdminApi } from '../api/admin-api';
import { UsageError } from '../cli.errors';
import { addFieldFlags } from '../options/field-flags';
import { addPagingFlags, type PagingFlags } from '../options/paging-flags';
import { ISSUER_FIELD_FLAGS, buildIssuerBody, checkNewIssuer, type IssuerFlags } from './issuer-body';

type Issuer = Record<string, unknown> & { id: string; issuer: string };

export const ISSUER_COLUMNS = [
  { field: 'id' },
  { field: 'issuer' },
  { field: 'status' },
  { field: 'subjects' },
  { field: 'allowed_scopes', header: 'scopes' },
  { field: 'jwks_uri' },
  { field: 'discovery' },
] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const URI_LIKE = /^[a-z][a-z0-9+.-]*:/i;

/** The issuer's id: the argument itself, or the id of the issuer whose `iss` it is. */
export async function resolveIssuerId(api: AdminApi, idOrIssuer: string): Promise<string> {
  if (UUID.test(idOrIssuer) || !URI_LIKE.test(idOrIssuer)) return idOrIssuer;
  const page = await api.list<Issuer>('/v1/issuers', { limit: 100 }, true);
  const match = page.items.find((item) => item.issuer === idOrIssuer);
  if (!match) throw new UsageError(`no trusted issuer with iss "${idOrIssuer}"`);
  return match.id;
}

/** The admin API path of the issuer named by its id or its `iss`, with `suffix` (`/jwks`). */
async function resolveIssuerPath(api: AdminApi, idOrIssuer: string, suffix = ''): Promise<string> {
  return `/v1/issuers/${encodeURIComponent(await resolveIssuerId(api, idOrIssuer))}${suffix}`;
}

export function buildIssuersCommand(context: CommandContext): Command {
  const issuers = new Command('issuers').description('manage trusted issuers (admin API)');

  addFieldFlags(issuers.command('add').description('register a trusted issuer'), ISSUER_FIELD_FLAGS, 'add').action(async (flags: IssuerFlags) => {
    const body = buildIssuerBody(flags);
    checkNewIssuer(body);
    context.printRecord(await context.registry().call<Issuer>('POST', '/v1/issuers', { json: body }));
  });

  addPagingFlags(issuers.command('list').description('list trusted issuers')).action((flags: PagingFlags) => context.printList('/v1/issuers', flags, ISSUER_COLUMNS));

  issuers
    .command('show <id-or-issuer>')
    .description('show one trusted issuer and the keys held for it')
    .option('--keys', 'show the keys held now, their source and the last fetch error')
    .action(async (idOrIssuer: string, flags: { keys?: boolean }) => {
      const api = context.registry();
      context.printRecord(await api.call<Record<string, unknown>>('GET', await resolveIssuerPath(api, idOrIssuer, flags.keys ? '/jwks' : '')));
    });

  addFieldFlags(issuers.command('update <id-or-issuer>').description('change fields of a trusted issuer'), ISSUER_FIELD_FLAGS, 'update').action(
    async (idOrIssuer: string, flags: IssuerFlags) => {
      const body = buildIssuerBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to update: give at least one field flag');
      const api = context.registry();
      context.printRecord(await api.call<Issuer>('PATCH', await resolveIssuerPath(api, idOrIssuer), { json: body }));
    },
  );

  issuers
    .command('disable <id-or-issuer>')
    .description('stop trusting an issuer (status disabled; it can be re-enabled with update --status active)')
    .action(async (idOrIssuer: string) => {
      const api = context.registry();
      const updated = await api.call<Issuer>('PATCH', await resolveIssuerPath(api, idOrIssuer), { json: { status: 'disabled' } });
      context.printResult(`disabled ${updated.issuer} (${updated.id})`, updated);
    });

  issuers
    .command('refresh <id-or-issuer>')
    .description("fetch the issuer's keys now")
    .action(async (idOrIssuer: string) => {
      const api = context.registry();
      const id = await resolveIssuerId(api, idOrIssuer);
      const result = await api.call<Record<string, unknown> | undefined>('POST', `/v1/issuers/${encodeURIComponent(id)}/jwks/refresh`);
      context.printRecord(result ?? { id, refreshed: true });
    });

  addRefreshTokenCommands(issuers, context, 'issuer', (idOrIssuer) => resolveIssuerPath(context.registry(), idOrIssuer));

  return issuers;
}
