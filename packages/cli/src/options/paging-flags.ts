/**
 * `--limit`, `--cursor` and `--all` of every command that lists a resource of the
 * admin API (clients, issuers, refresh-token families): one page, or every page.
 */
import type { Command } from 'commander';
import { parsePositiveInteger } from './option-parsers';

export interface PagingFlags {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export function addPagingFlags(command: Command): Command {
  return command
    .option('--limit <n>', 'page size (1 to 100)', parsePositiveInteger)
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .option('--all', 'follow every page');
}
