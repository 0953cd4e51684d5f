/**
 * The `trust-broker` command line: global flags for endpoints and credential, one
 * sub-command per area. `runCli` never exits the process itself; it returns the exit
 * code (0 ok, 1 failure, 2 usage) so tests and the demo can call it in-process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ApiRequestError, CliError } from './cli.errors';
import { CommandContext, type CliEnvironment } from './command-context';
import { DEFAULT_AUDIT_URL, DEFAULT_REGISTRY_URL, DEFAULT_TOKEN_URL, type GlobalOptions } from './config/cli-config';
import { buildIssuersCommand } from './issuers/issuers.command';
import { buildClientsCommand } from './clients/clients.command';
import { buildAssertionCommand } from './assertion/assertion.command';
import { buildTokenCommand } from './token/token.command';
import { buildAuditCommand } from './audit/audit.command';

function readPackageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(environment: CliEnvironment): Command {
  const program = new Command('trust-broker')
    .description('admin and test CLI of the Trust Broker (RFC 7523 federated OAuth broker)')
    .option('--token-url <url>', `token endpoint [env TRUST_BROKER_TOKEN_URL, default ${DEFAULT_TOKEN_URL}]`)
    .option('--registry-url <url>', `issuer-registry admin API [env TRUST_BROKER_REGISTRY_URL, default ${DEFAULT_REGISTRY_URL}]`)
    .option('--audit-url <url>', `audit-worker audit API [env TRUST_BROKER_AUDIT_URL, default ${DEFAULT_AUDIT_URL}]`)
    .option('--admin-key <key>', 'admin API key [env TRUST_BROKER_ADMIN_KEY or ADMIN_API_KEY, else .data/local-secrets.json]')
    .option('--json', 'print JSON for scripts (errors too, on stderr)')
    .version(readPackageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => environment.output.out(text.replace(/\n$/, '')),
      writeErr: (text) => environment.output.err(text.replace(/\n$/, '')),
    });
  const context = new CommandContext(program, environment);
  for (const command of [
    buildIssuersCommand(context),
    buildClientsCommand(context),
    buildAssertionCommand(context),
    buildTokenCommand(context),
    buildAuditCommand(context),
  ]) {
    program.addCommand(command);
  }
  // Sub-commands inherit the error handling, so a usage error never exits the process.
  for (const command of program.commands) applyErrorHandling(command, environment);
  return program;
}

function applyErrorHandling(command: Command, environment: CliEnvironment): void {
  command.exitOverride().configureOutput({
    writeOut: (text) => environment.output.out(text.replace(/\n$/, '')),
    writeErr: (text) => environment.output.err(text.replace(/\n$/, '')),
  });
  command.showHelpAfterError();
  for (const sub of command.commands) applyErrorHandling(sub, environment);
}

/** An error as JSON for `--json` callers: the server's own fields when it answered. */
export function describeError(error: CliError): Record<string, unknown> {
  if (error instanceof ApiRequestError) {
    return { error: error.error, error_description: error.description ?? null, status: error.status, url: error.url };
  }
  return { error: error.code, error_description: error.message };
}

/** Runs one command line (argv without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], environment: CliEnvironment): Promise<number> {
  const program = buildProgram(environment);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander but successes to the user.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      environment.output.err(program.opts<GlobalOptions>().json ? JSON.stringify(describeError(error)) : `error: ${error.message}`);
      return error.exitCode;
    }
    environment.output.err(`error: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}
