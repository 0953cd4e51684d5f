/**
 * Errors the CLI reports to its user. Each carries a stable `code` and an exit code,
 * so scripts can tell a usage mistake (2) from a failure the server reported (1).
 */
export class CliError extends Error {
  readonly code: string = 'cli_error';
  readonly exitCode: number = 1;
}

/** A flag or argument the user gave is missing, malformed or contradicts another. */
export class UsageError extends CliError {
  override readonly code = 'usage_error';
  override readonly exitCode = 2;
}

/** A local file (key, JWKS, body) could not be read or parsed. */
export class InputFileError extends CliError {
  override readonly code = 'input_file_error';
}

/** The server answered with an error; `error` and `description` are the server's own. */
export class ApiRequestError extends CliError {
  override readonly code = 'api_error';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string | undefined,
    readonly url: string,
  ) {
    super(`${error}${description ? `: ${description}` : ''} (HTTP ${status} from ${url})`);
  }
}

/** Nothing answered at the URL (connection refused, DNS, timeout). */
export class ConnectionError extends CliError {
  override readonly code = 'connection_error';
}

/** `audit verify` found the hash chain broken. */
export class AuditChainBrokenError extends CliError {
  override readonly code = 'audit_chain_broken';
}
