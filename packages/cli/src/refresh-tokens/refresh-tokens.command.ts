/**
 * `trust-broker clients|issuers refresh-tokens <id>` and `... revoke-refresh-tokens <id>`:
 * the usable refresh-token families of a client or a trusted issuer (issue 23), listed
 * and revoked through the admin API. Never shows a token: families are named by id.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { addPagingFlags, type PagingFlags } from '../options/paging-flags';

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
  addPagingFlags(parent.command(`refresh-tokens ${argument}`).description(`list the ${owner}'s usable refresh-token families`)).action(
    async (id: string, flags: PagingFlags) => context.printList(`${await pathOf(id)}/refresh-tokens`, flags, REFRESH_FAMILY_COLUMNS),
  );
  parent
    .command(`revoke-refresh-tokens ${argument}`)
    .description(`revoke every usable refresh-token family of the ${owner} (its refresh tokens stop working at once)`)
    .action(async (id: string) => {
      const result = await context.registry().call<{ revoked: number; family_ids: string[] }>('DELETE', `${await pathOf(id)}/refresh-tokens`);
      context.printResult(`revoked ${result.revoked} refresh-token famil${result.revoked === 1 ? 'y' : 'ies'}`, result);
    });
}
