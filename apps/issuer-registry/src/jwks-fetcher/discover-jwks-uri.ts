/**
 * Finds an issuer's `jwks_uri` from its metadata: `${issuer}/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0 §4); then RFC 8414 metadata, for an issuer with a path at
 * the well-known URI inserted before the path (RFC 8414 §3.1: `https://host/oauth2/default`
 * → `https://host/.well-known/oauth-authorization-server/oauth2/default`, what Okta's custom
 * authorization servers serve), and at the appended form that older servers use (§5). The
 * document's `issuer` must equal the issuer exactly (RFC 8414 §3.3), else a mix-up or
 * impersonation is possible.
 */
import { OutboundFetchError } from './outbound-fetch.errors';
import type { OutboundFetcher } from './outbound-fetcher';

export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

/** The metadata URLs to try, in order, without repeats. */
export function discoveryUrls(issuer: string): string[] {
  const base = issuer.replace(/\/+$/, '');
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  const inserted = `${url.origin}/.well-known/oauth-authorization-server${path}`;
  return [...new Set([`${base}${DISCOVERY_PATHS[0]}`, inserted, `${base}${DISCOVERY_PATHS[1]}`])];
}

export async function discoverJwksUri(fetcher: OutboundFetcher, issuer: string): Promise<string> {
  const failures: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    try {
      const document = await fetcher.fetchJson(url);
      if (document.status !== 200) {
        failures.push(`${url}: HTTP ${document.status}`);
        continue;
      }
      return readJwksUri(document.body, issuer);
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
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
