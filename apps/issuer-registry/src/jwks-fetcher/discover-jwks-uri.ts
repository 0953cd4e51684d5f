/**
 * Finds an issuer's `jwks_uri` from its metadata: `${issuer}/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0 §4), then `${issuer}/.well-known/oauth-authorization-server`
 * (RFC 8414 §3). The document's `issuer` must equal the issuer exactly (RFC 8414 §3.3),
 * else a mix-up or impersonation is possible.
 */
import { OutboundFetchError } from './outbound-fetch.errors';
import type { OutboundFetcher } from './outbound-fetcher';

export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

export async function discoverJwksUri(fetcher: OutboundFetcher, issuer: string): Promise<string> {
  const base = issuer.replace(/\/+$/, '');
  const failures: string[] = [];
  for (const path of DISCOVERY_PATHS) {
    try {
      const document = await fetcher.fetchJson(`${base}${path}`);
      if (document.status !== 200) continue;
      return readJwksUri(document.body, issuer);
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
    }
  }
  throw new OutboundFetchError('http_status', `discovery failed (${failures.join('; ')})`);
}

function readJwksUri(document: unknown, issuer: string): string {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new Error('the metadata is not a JSON object');
  const metadata = document as { issuer?: unknown; jwks_uri?: unknown };
  if (metadata.issuer !== issuer) throw new Error('the metadata names another issuer');
  if (typeof metadata.jwks_uri !== 'string' || metadata.jwks_uri.length === 0) throw new Error('the metadata has no jwks_uri');
  return metadata.jwks_uri;
}
