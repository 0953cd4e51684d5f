/**
 * `trust-broker clients add|list|show|rotate-secret|disable|refresh-tokens|revoke-refresh-tokens`:
 * OAuth clients of the admin API. A new secret is printed once, the way the server returns it.
 */
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { UsageError } from '../cli.errors';
import { parseChoice, parseList, parsePositiveInteger } from '../options/option-parsers';
import { addPagingFlags, type PagingFlags } from '../options/paging-flags';
import { addRefreshTokenCommands } from '../refresh-tokens/refresh-tokens.command';
import { AUTH_METHODS, buildClientBody, checkNewClient, parseFederatedCredential, type ClientFlags } from './client-body';

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

  clients
    .command('add')
    .description('register a client')
    .option('--body <file>', 'a JSON file with the fields (flags win over it)')
    .option('--client-id <id>', 'its client_id (generated when absent)')
    .option('--name <name>', 'client_name')
    .option('--auth-method <method>', `token_endpoint_auth_method: ${AUTH_METHODS.join(', ')}`, parseChoice(AUTH_METHODS))
    .option('--jwks-file <file>', 'its public keys: a JWKS or one JWK (private members are stripped)')
    .option('--jwks-uri <url>', 'where its public keys are fetched')
    .option('--signing-alg <alg>', 'the one algorithm its assertions must use')
    .option('--federated-credential <issuer=subject>', 'federated_jwt: the exact iss and sub of the workload tokens it authenticates with (repeatable, 1 to 20)', parseFederatedCredential)
    .option('--grant-types <list>', "comma-separated; 'jwt-bearer' and 'token-exchange' are short for the RFC 7523 and RFC 8693 grants", parseList)
    .option('--scope <scopes>', 'space-separated scopes it may obtain')
    .option('--assertion-reuse', 'accept a long-lived client assertion many times')
    .option('--no-assertion-reuse', 'each client assertion single-use')
    .option('--assertion-max-lifetime <seconds>', 'largest accepted client assertion lifetime', parsePositiveInteger)
    .option('--introspection-audiences <list>', "comma-separated aud values of tokens it may introspect besides its own (default: its client_id)", parseList)
    .action(async (flags: ClientFlags) => {
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
