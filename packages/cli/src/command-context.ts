/**
 * What every command needs: the resolved endpoints and credential (read when the
 * command runs, after commander parsed the global flags) and where to print.
 */
import type { Command } from 'commander';
import { AdminApi } from './api/admin-api';
import { resolveCliConfig, type CliConfig, type GlobalOptions } from './config/cli-config';
import type { PagingFlags } from './options/paging-flags';
import { formatJson, formatRecord, formatTable, type Column, type Output } from './output/output';

export interface CliEnvironment {
  output: Output;
  env: Record<string, string | undefined>;
  cwd: string;
}

export class CommandContext {
  constructor(
    private readonly program: Command,
    readonly environment: CliEnvironment,
  ) {}

  config(): CliConfig {
    return resolveCliConfig(this.program.opts<GlobalOptions>(), this.environment.env, this.environment.cwd);
  }

  registry(): AdminApi {
    const config = this.config();
    return new AdminApi(config.registryUrl, config.adminKey);
  }

  audit(): AdminApi {
    const config = this.config();
    return new AdminApi(config.auditUrl, config.adminKey);
  }

  /** Prints one resource: JSON with --json, else a field table. */
  printRecord(record: Record<string, unknown>): void {
    this.environment.output.out(this.config().json ? formatJson(record) : formatRecord(record));
  }

  /** Prints a page: JSON ({items, next_cursor}) with --json, else a table and a cursor hint. */
  printPage(page: { items: Array<Record<string, unknown>>; next_cursor: string | null }, columns: readonly Column[]): void {
    const output = this.environment.output;
    if (this.config().json) {
      output.out(formatJson(page));
      return;
    }
    output.out(page.items.length === 0 ? '(none)' : formatTable(page.items, columns));
    if (page.next_cursor) output.out(`more: --cursor ${page.next_cursor} (or --all)`);
  }

  /** Lists an admin API resource as the paging flags ask and prints the page. */
  async printList(path: string, flags: PagingFlags, columns: readonly Column[]): Promise<void> {
    const page = await this.registry().list<Record<string, unknown>>(path, { limit: flags.limit, cursor: flags.cursor }, flags.all === true);
    this.printPage(page, columns);
  }

  /** A line for people; with --json, the given object instead. */
  printResult(message: string, json: unknown): void {
    this.environment.output.out(this.config().json ? formatJson(json) : message);
  }
}
