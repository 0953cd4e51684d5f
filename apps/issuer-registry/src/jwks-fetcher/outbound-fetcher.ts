/**
 * Fetches a JSON document (JWKS, discovery metadata) from a partner, bounded:
 * - one total deadline (connect, every redirect, the whole body);
 * - the body streamed and abandoned past the byte limit;
 * - redirects followed by hand, at most `maxRedirects`, each hop checked again;
 * - `https` only and public destinations only, unless private networks are allowed.
 */
import { isIP } from 'node:net';
import type { OnModuleDestroy } from '@nestjs/common';
import { request, type Dispatcher } from 'undici';
import type { OutboundFetchConfig } from '../config/registry.config';
import { assertAllowedAddress, DestinationNotAllowedError } from './destination-address';
import { createOutboundDispatcher } from './guarded-dispatcher';
import { OutboundFetchError } from './outbound-fetch.errors';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FetchedDocument {
  status: 200;
  url: string;
  body: unknown;
  etag: string | null;
  /** Cache-Control max-age in seconds; 0 for no-store/no-cache; null when absent. */
  maxAgeSeconds: number | null;
}

export interface NotModified {
  status: 304;
  url: string;
  etag: string | null;
  maxAgeSeconds: number | null;
}

export class OutboundFetcher implements OnModuleDestroy {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly config: OutboundFetchConfig) {
    this.dispatcher = createOutboundDispatcher(config.allowPrivateNetworks, config.timeoutMs);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Provided by JwksFetcherModule: its connections close with the app. */
  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Throws `OutboundFetchError` with an admin-readable message on any failure. */
  async fetchJson(url: string, options: { etag?: string | null } = {}): Promise<FetchedDocument | NotModified> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    try {
      return await this.follow(url, options.etag ?? null, controller.signal);
    } catch (error) {
      throw this.describe(error, controller.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  private async follow(startUrl: string, etag: string | null, signal: AbortSignal): Promise<FetchedDocument | NotModified> {
    let url = this.checkUrl(startUrl);
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { accept: 'application/json, application/jwk-set+json', 'user-agent': 'trust-broker-issuer-registry' };
      if (etag) headers['if-none-match'] = etag;
      const response = await request(url, { method: 'GET', headers, signal, dispatcher: this.dispatcher });
      if (REDIRECT_STATUSES.has(response.statusCode)) {
        discard(response.body);
        if (redirects >= this.config.maxRedirects) {
          throw new OutboundFetchError('too_many_redirects', `too many redirects (more than ${this.config.maxRedirects})`);
        }
        url = this.checkUrl(resolveLocation(url, response.headers.location));
        continue;
      }
      const cache = { url: url.toString(), etag: headerValue(response.headers.etag), maxAgeSeconds: parseMaxAge(headerValue(response.headers['cache-control'])) };
      if (response.statusCode === 304 && etag) {
        discard(response.body);
        return { status: 304, ...cache };
      }
      if (response.statusCode !== 200) {
        discard(response.body);
        throw new OutboundFetchError('http_status', `HTTP ${response.statusCode}`);
      }
      const text = await this.readBody(response.body, headerValue(response.headers['content-length']));
      return { status: 200, ...cache, body: parseJson(text) };
    }
  }

  /** Scheme and (for IP literals, which skip DNS) address checks of one hop. */
  private checkUrl(raw: string | URL): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundFetchError('bad_redirect', 'invalid URL');
    }
    const allowHttp = this.config.allowPrivateNetworks;
    if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
      throw new OutboundFetchError('scheme_not_allowed', `scheme ${url.protocol.replace(':', '')} is not allowed (https only)`);
    }
    if (url.username || url.password) throw new OutboundFetchError('bad_redirect', 'URLs with credentials are not allowed');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.config.allowPrivateNetworks && isIP(host) !== 0) assertAllowedAddress(host);
    return url;
  }

  private async readBody(body: Dispatcher.ResponseData['body'], contentLength: string | null): Promise<string> {
    const limit = this.config.maxBodyBytes;
    const tooLarge = () => new OutboundFetchError('body_too_large', `body exceeds ${limit} bytes`);
    if (contentLength !== null && Number(contentLength) > limit) {
      discard(body);
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        discard(body);
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private describe(error: unknown, timedOut: boolean): OutboundFetchError {
    if (timedOut) return new OutboundFetchError('timeout', `timeout after ${this.config.timeoutMs} ms`, { cause: error });
    if (error instanceof OutboundFetchError) return error;
    const refused = findCause(error, (e) => e instanceof DestinationNotAllowedError) as DestinationNotAllowedError | undefined;
    if (refused) return new OutboundFetchError('destination_not_allowed', refused.message);
    const timeout = findCause(error, (e) => /Timeout/i.test((e as { code?: string }).code ?? '') || /timeout/i.test((e as Error).name ?? ''));
    if (timeout) return new OutboundFetchError('timeout', `timeout after ${this.config.timeoutMs} ms`, { cause: error });
    const coded = findCause(error, (e) => typeof (e as { code?: unknown }).code === 'string') as { code: string } | undefined;
    return new OutboundFetchError('network', `network error${coded ? ` (${coded.code})` : ''}`, { cause: error });
  }
}

/** Abandons a response body; the stream's abort error must not surface as an unhandled 'error' event. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function findCause(error: unknown, match: (e: unknown) => boolean): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (match(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function resolveLocation(base: URL, location: string | string[] | undefined): URL {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) throw new OutboundFetchError('bad_redirect', 'redirect without a Location');
  try {
    return new URL(value, base);
  } catch {
    throw new OutboundFetchError('bad_redirect', 'redirect to an invalid URL');
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/** `max-age=N` in seconds; `no-store`/`no-cache` count as 0; absent or unparsable: null. */
export function parseMaxAge(cacheControl: string | null): number | null {
  if (!cacheControl) return null;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(directive);
    if (match) return Number(match[1]);
  }
  return null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new OutboundFetchError('invalid_json', 'the body is not valid JSON');
  }
}
