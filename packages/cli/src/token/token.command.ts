/**
 * `trust-broker token request|introspect|revoke`: speaks to the OAuth endpoints as a
 * client would. Client authentication: --client-key (private_key_jwt), or
 * --client-secret with --client-auth basic|post|jwt, or only --client-id (public).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { InputFileError, UsageError } from '../cli.errors';
import { loadPrivateKey } from '../assertion/load-private-key';
import { formatJson } from '../output/output';
import { collect, parseChoice } from '../options/option-parsers';
import {
  introspectToken,
  requestToken,
  resolveBrokerIssuer,
  revokeToken,
  type ClientAuthentication,
  type GrantRequest,
  type TokenTypeName,
} from './token-request';

export interface ClientAuthFlags {
  clientId?: string;
  clientSecret?: string;
  clientAuth?: 'basic' | 'post' | 'jwt';
  clientKey?: string;
  clientKid?: string;
  /** federated_jwt: the workload's token from a trusted issuer (the JWT, @file, or -). */
  clientFederatedToken?: string;
  brokerIssuer?: string;
}

/** Chooses exactly one client authentication method from the flags. */
export async function resolveClientAuthentication(flags: ClientAuthFlags, tokenUrl: string): Promise<ClientAuthentication> {
  if (flags.clientKey !== undefined && flags.clientSecret !== undefined) {
    throw new UsageError('give --client-key or --client-secret, not both (one client authentication method per request)');
  }
  if ((flags.clientKey !== undefined || flags.clientSecret !== undefined) && !flags.clientId) {
    throw new UsageError('--client-id is required with --client-key or --client-secret');
  }
  if (flags.clientAuth !== undefined && flags.clientSecret === undefined) throw new UsageError('--client-auth needs --client-secret');
  if (flags.clientFederatedToken !== undefined) {
    if (flags.clientKey !== undefined || flags.clientSecret !== undefined) throw new UsageError('give one of --client-federated-token, --client-key, --client-secret (one client authentication method per request)');
    if (!flags.clientId) throw new UsageError('--client-id is required with --client-federated-token');
    return { method: 'federated_jwt', clientId: flags.clientId, assertion: readJwtArgument(flags.clientFederatedToken) };
  }
  if (flags.clientKey !== undefined) {
    const signingKey = loadPrivateKey(flags.clientKey, flags.clientKid);
    return { method: 'private_key_jwt', clientId: flags.clientId!, signingKey, audience: await resolveBrokerIssuer(tokenUrl, flags.brokerIssuer) };
  }
  if (flags.clientSecret !== undefined) {
    const clientId = flags.clientId!;
    if (flags.clientAuth === 'jwt') {
      return { method: 'client_secret_jwt', clientId, clientSecret: flags.clientSecret, audience: await resolveBrokerIssuer(tokenUrl, flags.brokerIssuer) };
    }
    return { method: flags.clientAuth === 'post' ? 'client_secret_post' : 'client_secret_basic', clientId, clientSecret: flags.clientSecret };
  }
  return flags.clientId ? { method: 'none', clientId: flags.clientId } : { method: 'none' };
}

/** A JWT given inline, as `@file`, or `-` for standard input. */
export function readJwtArgument(value: string, readStdin: () => string = () => readFileSync(0, 'utf8')): string {
  let text = value;
  if (value === '-') text = readStdin();
  else if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new InputFileError(`cannot read ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const jwt = text.trim();
  if (jwt === '') throw new UsageError('the JWT is empty');
  return jwt;
}

function addClientAuthOptions(command: Command): Command {
  return command
    .option('--client-id <id>', 'the client_id')
    .option('--client-secret <secret>', 'the client secret (client_secret_basic by default)')
    .option('--client-auth <how>', 'with --client-secret: basic, post or jwt (client_secret_jwt)', parseChoice(['basic', 'post', 'jwt']))
    .option('--client-key <file>', "the client's private key (JWK, JWKS or PEM): private_key_jwt")
    .option('--client-kid <kid>', "the client key's kid, when the file does not name it")
    .option('--client-federated-token <jwt>', "federated_jwt: the workload's token from a trusted issuer (the JWT, @file, or -), with --client-id")
    .option('--broker-issuer <url>', "the broker's issuer identifier, the aud of client assertions (default: from its metadata)");
}

/** Requests the token and prints the answer (or, with --token-only, the access token alone). */
async function requestAndPrint(context: CommandContext, grant: GrantRequest, flags: ClientAuthFlags & { tokenOnly?: boolean }): Promise<void> {
  const config = context.config();
  const response = await requestToken(config.tokenUrl, grant, await resolveClientAuthentication(flags, config.tokenUrl));
  if (flags.tokenOnly) context.environment.output.out(config.json ? formatJson({ access_token: response.access_token }) : response.access_token);
  else context.printRecord(response);
}

export function buildTokenCommand(context: CommandContext): Command {
  const token = new Command('token').description('OAuth requests: token, introspection, revocation');

  addClientAuthOptions(
    token
      .command('request')
      .description('request an access token: jwt-bearer (with --assertion) or client_credentials')
      .option('--grant-type <grant>', 'jwt-bearer or client_credentials (default: jwt-bearer when --assertion is given)', parseChoice(['jwt-bearer', 'client_credentials']))
      .option('--assertion <jwt>', 'the grant assertion: the JWT, @file, or - for standard input')
      .option('--scope <scopes>', 'space-separated scopes')
      .option('--resource <uri>', 'RFC 8707 resource')
      .option('--audience <aud>', 'the audience of the access token')
      .option('--token-only', 'print only the access token'),
  ).action(async (flags: ClientAuthFlags & { grantType?: GrantRequest['grantType']; assertion?: string; scope?: string; resource?: string; audience?: string; tokenOnly?: boolean }) => {
    const grant: GrantRequest = {
      grantType: flags.grantType ?? (flags.assertion !== undefined ? 'jwt-bearer' : 'client_credentials'),
      ...(flags.assertion !== undefined ? { assertion: readJwtArgument(flags.assertion) } : {}),
      ...(flags.scope !== undefined ? { scope: flags.scope } : {}),
      ...(flags.resource !== undefined ? { resource: flags.resource } : {}),
      ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
    };
    await requestAndPrint(context, grant, flags);
  });

  addClientAuthOptions(
    token
      .command('exchange')
      .description('RFC 8693 token exchange: a trusted issuer\'s token (a CI job\'s OIDC token, a service-account token, an ID token) for one of the broker\'s')
      .requiredOption('--subject-token <jwt>', 'the subject token: the JWT, @file, or - for standard input')
      .option('--subject-token-type <type>', 'jwt (default), id_token or access_token', parseChoice(['jwt', 'id_token', 'access_token']))
      .option('--actor-token <jwt>', 'the actor token: the JWT, @file, or -')
      .option('--actor-token-type <type>', 'jwt (default), id_token or access_token', parseChoice(['jwt', 'id_token', 'access_token']))
      .option('--scope <scopes>', 'space-separated scopes')
      .option('--resource <uri>', 'RFC 8707 resource; repeat for several', collect)
      .option('--audience <aud>', 'an audience of the access token; repeat for several', collect)
      .option('--token-only', 'print only the access token'),
  ).action(
    async (
      flags: ClientAuthFlags & { subjectToken: string; subjectTokenType?: TokenTypeName; actorToken?: string; actorTokenType?: TokenTypeName; scope?: string; resource?: string[]; audience?: string[]; tokenOnly?: boolean },
    ) => {
      const grant: GrantRequest = {
        grantType: 'token-exchange',
        subjectToken: readJwtArgument(flags.subjectToken),
        ...(flags.subjectTokenType !== undefined ? { subjectTokenType: flags.subjectTokenType } : {}),
        ...(flags.actorToken !== undefined ? { actorToken: readJwtArgument(flags.actorToken), actorTokenType: flags.actorTokenType ?? 'jwt' } : {}),
        ...(flags.scope !== undefined ? { scope: flags.scope } : {}),
        ...(flags.resource !== undefined ? { resource: flags.resource } : {}),
        ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
      };
      await requestAndPrint(context, grant, flags);
    },
  );

  addClientAuthOptions(token.command('introspect <token>').description('RFC 7662 introspection (the token, @file or -)')).action(
    async (tokenArgument: string, flags: ClientAuthFlags) => {
      const config = context.config();
      const auth = await resolveClientAuthentication(flags, config.tokenUrl);
      context.printRecord(await introspectToken(config.tokenUrl, readJwtArgument(tokenArgument), auth));
    },
  );

  addClientAuthOptions(token.command('revoke <token>').description('RFC 7009 revocation (the token, @file or -)')).action(
    async (tokenArgument: string, flags: ClientAuthFlags) => {
      const config = context.config();
      const auth = await resolveClientAuthentication(flags, config.tokenUrl);
      await revokeToken(config.tokenUrl, readJwtArgument(tokenArgument), auth);
      context.printResult('revoked', { revoked: true });
    },
  );

  return token;
}
