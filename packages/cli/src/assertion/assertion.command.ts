/**
 * `trust-broker assertion mint`: signs a JWT with a local private key, for testing
 * the broker (a partner IdP's grant assertion, or a client assertion).
 */
import { Command } from 'commander';
import type { CommandContext } from '../command-context';
import { formatJson } from '../output/output';
import { collect, parseKeyValue, parseNonNegativeInteger, parsePositiveInteger } from '../options/option-parsers';
import { resolveBrokerIssuer } from '../token/token-request';
import { loadPrivateKey } from './load-private-key';
import { mintAssertion } from './mint-assertion';

interface MintFlags {
  key: string;
  kid?: string;
  alg?: string;
  iss: string;
  sub: string;
  aud?: string[];
  lifetime: number;
  jti?: string | boolean;
  iat: boolean;
  nbf?: number;
  claim?: Record<string, string>;
  typ: string;
}

/** `--claim name=value`: the value as JSON when it parses (numbers, lists), else a string. */
export function parseClaimValues(claims: Record<string, string> | undefined): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(claims ?? {})) {
    try {
      parsed[name] = JSON.parse(raw);
    } catch {
      parsed[name] = raw;
    }
  }
  return parsed;
}

export function buildAssertionCommand(context: CommandContext): Command {
  const assertion = new Command('assertion').description('JWT assertions for testing');
  assertion
    .command('mint')
    .description('sign a JWT assertion with a local private key (JWK, JWKS or PEM)')
    .requiredOption('--key <file>', 'the private key file')
    .option('--kid <kid>', "the 'kid' header (default: the JWK's kid)")
    .option('--alg <alg>', 'the JWS algorithm (default: from the key)')
    .requiredOption('--iss <iss>', 'issuer')
    .requiredOption('--sub <sub>', 'subject')
    .option('--aud <aud>', "audience (repeatable; default: the broker's issuer identifier)", collect)
    .option('--lifetime <seconds>', 'seconds until exp', parsePositiveInteger, 120)
    .option('--jti <jti>', 'a fixed jti (default: a random UUID)')
    .option('--no-jti', 'leave jti out')
    .option('--no-iat', 'leave iat out')
    .option('--nbf <seconds>', 'set nbf this many seconds from now', parseNonNegativeInteger)
    .option('--claim <name=value>', 'an extra claim; JSON values are parsed (repeatable)', parseKeyValue)
    .option('--typ <typ>', "the 'typ' header (client-authentication+jwt for a client assertion, rfc7523bis)", 'JWT')
    .action(async (flags: MintFlags) => {
      const signingKey = loadPrivateKey(flags.key, flags.kid);
      const aud = flags.aud ?? [await resolveBrokerIssuer(context.config().tokenUrl)];
      const minted = await mintAssertion({
        key: signingKey.key,
        alg: flags.alg ?? signingKey.alg,
        ...(signingKey.kid !== undefined ? { kid: signingKey.kid } : {}),
        iss: flags.iss,
        sub: flags.sub,
        aud: aud.length === 1 ? aud[0]! : aud,
        lifetimeSeconds: flags.lifetime,
        jti: typeof flags.jti === 'string' ? flags.jti : flags.jti === false ? false : undefined,
        includeIat: flags.iat,
        ...(flags.nbf !== undefined ? { notBeforeSeconds: flags.nbf } : {}),
        extraClaims: parseClaimValues(flags.claim),
        typ: flags.typ,
      });
      context.environment.output.out(context.config().json ? formatJson(minted) : minted.assertion);
    });
  return assertion;
}
