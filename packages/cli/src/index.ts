/**
 * @trust-broker/cli as a library: what `trust-broker` does, for scripts (the demo) and
 * tests that want it in-process.
 */
export { runCli, buildProgram } from './program';
export type { CliEnvironment } from './command-context';
export type { Output } from './output/output';
export { AdminApi, type Page } from './api/admin-api';
export { sendApiRequest, encodeBasicAuth, joinUrl } from './api/api-client';
export { ApiRequestError, CliError, ConnectionError, UsageError, InputFileError, AuditChainBrokenError } from './cli.errors';
export { mintAssertion, type MintAssertionOptions, type MintedAssertion } from './assertion/mint-assertion';
export { parsePrivateKey, loadPrivateKey, defaultAlgorithm, type SigningKey } from './assertion/load-private-key';
export {
  requestToken,
  introspectToken,
  revokeToken,
  resolveBrokerIssuer,
  buildClientAuthentication,
  buildGrantForm,
  type ClientAuthentication,
  type GrantRequest,
  type TokenResponse,
} from './token/token-request';
export { LOCAL_SECRETS_FILE, readLocalAdminKey } from './config/cli-config';
