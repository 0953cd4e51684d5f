/**
 * `trust-broker clients add|list|show|rotate-secret|disable|refresh-tokens|revoke-refresh-tokens`:
 * OAuth clients of the admin API. A new secret is printed once, the way the server returns it.
 */
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { UsageError } from '../cli.errors';
import { addFieldFlags } from '../options/field-flags';
import { addPagingFlags, type PagingFlags } from '../options/paging-flags';
import { addRefreshTokenCommands } from '../refresh-tokens/refresh-tokens.command';
import { CLIENT_FIELD_FLAGS, buildClientBody, checkNewClient, type ClientFlags } from './client-body';

type Client = Record<string, unknown> & { client_id: string };

export const CLIENT_COLUMNS = [
  { field: 'client_id' },
  { field: 'client_name', header: 'name' },
  { field: 'token_endpoint_auth_method', header: 'auth method' },
  { field: 'grant_types' },
  { field: 'scope' },
  { field: 'status' },
] as const;

const SECRET_WARNING = 'client_secret is shown only now: store it in a secret manager';

function clientPath(clientId: string, suffix = ''): string {
  if (clientId.trim() === '') throw new UsageError('client_id must not be empty');
  return `/v1/clients/${encodeURIComponent(clientId)}${suffix}`;
}

export function buildClientsCommand(context: CommandContext): Command {
  const clients = new Command('clients').description('manage OAuth clients (admin API)');

  addFieldFlags(clients.command('add').description('register a client'), CLIENT_FIELD_FLAGS, 'add').action(async (flags: ClientFlags) => {
    const body = buildClientBody(flags);
    checkNewClient(body);
    const created = await context.registry().call<Client>('POST', '/v1/clients', { json: body });
    context.printRecord(created);
    if (typeof created.client_secret === 'string' && !context.config().json) context.environment.output.err(SECRET_WARNING);
  });

  addPagingFlags(clients.command('list').description('list clients')).action((flags: PagingFlags) => context.printList('/v1/clients', flags, CLIENT_COLUMNS));

  clients
    .command('show <client-id>')
    .description('show one client')
    .action(async (clientId: string) => {
      context.printRecord(await context.registry().call<Client>('GET', clientPath(clientId)));
    });

  clients
    .command('rotate-secret <client-id>')
    .description('issue a new client secret (the old one stops working within 2 s)')
    .action(async (clientId: string) => {
      const rotated = await context.registry().call<Client>('POST', clientPath(clientId, '/secret'));
      context.printRecord(rotated);
      if (!context.config().json) context.environment.output.err(SECRET_WARNING);
    });

  clients
    .command('disable <client-id>')
    .description('disable a client (status disabled)')
    .action(async (clientId: string) => {
      const updated = await context.registry().call<Client>('PATCH', clientPath(clientId), { json: { status: 'disabled' } });
      context.printResult(`disabled ${updated.client_id}`, updated);
    });

  addRefreshTokenCommands(clients, context, 'client', async (clientId) => clientPath(clientId));

  return clients;
}
