/**
 * `trust-broker clients|issuers refresh-tokens <id>` and `... revoke-refresh-tokens <id>`:
 * the usable refresh-token families of a client or a trusted issuer (issue 23), listed
 * and revoked through the admin API. Never shows a token: families are named by id.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { parsePositiveInteger } from '../options/option-parsers';

export const REFRESH_FAMILY_COLUMNS = [
  { field: 'id', header: 'family' },
  { field: 'client_id' },
  { field: 'issuer' },
  { field: 'subject' },
  { field: 'scope' },
  { field: 'dpop_bound', header: 'dpop' },
  { field: 'expires_at', header: 'expires' },
] as const;

/** Adds both commands under `parent`; `pathOf` resolves the argument to the owner's admin path (`/v1/clients/x`). */
export function addRefreshTokenCommands(parent: Command, context: CommandContext, owner: 'client' | 'issuer', pathOf: (argument: string) => Promise<string>): void {
  const argument = owner === 'client' ? '<client-id>' : '<id-or-issuer>';
  parent
    .command(`refresh-tokens ${argument}`)
    .description(`list the ${owner}'s usable refresh-token families`)
    .option('--limit <n>', 'page size (1 to 100)', parsePositiveInteger)
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .option('--all', 'follow every page')
    .action(async (id: string, flags: { limit?: number; cursor?: string; all?: boolean }) => {
      const page = await context.registry().list<Record<string, unknown>>(`${await pathOf(id)}/refresh-tokens`, { limit: flags.limit, cursor: flags.cursor }, flags.all === true);
      context.printPage(page, REFRESH_FAMILY_COLUMNS);
    });
  parent
    .command(`revoke-refresh-tokens ${argument}`)
    .description(`revoke every usable refresh-token family of the ${owner} (its refresh tokens stop working at once)`)
    .action(async (id: string) => {
      const result = await context.registry().call<{ revoked: number; family_ids: string[] }>('DELETE', `${await pathOf(id)}/refresh-tokens`);
      context.printResult(`revoked ${result.revoked} refresh-token famil${result.revoked === 1 ? 'y' : 'ies'}`, result);
    });
}
