/**
 * Flags that set fields of an admin API body (`issuers add|update`, `clients add`).
 * Each is one row (flag, help, parser, API field), so the options commander offers
 * and the body the CLI sends are read from the same table and cannot drift apart.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../cli.errors';
import { readJsonFile, readPublicJwks } from './option-parsers';

export interface FieldFlag {
  /** As commander writes it: `--display-name <name>`, or `--discovery` for a yes/no field. */
  flags: string;
  help: string;
  /** The admin API field it sets. */
  field: string;
  /** Turns the flag's text into its value (a commander argument parser; `never`: any parser fits). */
  parse?: (value: string, previous: never) => unknown;
  /** Turns the parsed value into the field's value when the body is built (a file it names is read then). */
  toField?: (value: never) => unknown;
  /** A yes/no field: the help of its `--no-…` flag. */
  noHelp?: string;
  /** Accepted by every command, listed in the help of `update` only. */
  updateOnly?: boolean;
}

/** The key sources an issuer and a client share. */
export const JWKS_FILE_FLAG: FieldFlag = {
  flags: '--jwks-file <file>',
  help: 'its public keys: a JWKS or one JWK (private members are stripped)',
  field: 'jwks',
  toField: readPublicJwks,
};
export const JWKS_URI_FLAG: FieldFlag = { flags: '--jwks-uri <url>', help: 'where its public keys are fetched', field: 'jwks_uri' };

/** Adds `--body <file>` and the table's flags, in its order; `purpose` decides whether update-only flags are listed. */
export function addFieldFlags(command: Command, table: readonly FieldFlag[], purpose: 'add' | 'update'): Command {
  command.option('--body <file>', 'a JSON file with the fields (flags win over it)');
  for (const row of table) {
    const option = new Option(row.flags, row.help).hideHelp(row.updateOnly === true && purpose !== 'update');
    command.addOption(row.parse === undefined ? option : option.argParser(row.parse as (value: string, previous: unknown) => unknown));
    if (row.noHelp !== undefined) command.option(row.flags.replace(/^--/, '--no-'), row.noHelp);
  }
  return command;
}

/** The body: the `--body` file's object, then every field whose flag was given (flags win). */
export function buildBodyFromFlags(flags: { body?: string }, table: readonly FieldFlag[]): Record<string, unknown> {
  const body = readBodyFile(flags.body);
  const given = flags as Record<string, unknown>;
  for (const row of table) {
    const value = given[new Option(row.flags).attributeName()];
    if (value !== undefined) body[row.field] = row.toField === undefined ? value : row.toField(value as never);
  }
  return body;
}

function readBodyFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  const body = readJsonFile(path);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError(`${path} must hold a JSON object`);
  return { ...(body as Record<string, unknown>) };
}
