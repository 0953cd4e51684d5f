/**
 * The admin API, called from the console's own origin with the admin key as bearer
 * credential. The audit calls go through the registry's relay (same origin).
 */
import type { ClientResource, IssuerResource, ResourcePage } from '@trust-broker/contracts';

/** An answer of the API that is not 2xx, with its OAuth-style error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'ApiError';
  }

  /**
   * The body field the API names in `error_description` ("jwks_uri: must be ...",
   * "subjects[0]: ...", "claim_mappings.email: ..."), or null.
   */
  get field(): string | null {
    return fieldOf(this.description);
  }
}

/** The top-level field named by an admin API `error_description`, or null. */
export function fieldOf(description: string): string | null {
  // "<field>: ..." (admin API) or "<field> must ..." / "<field> is ..." (audit API).
  const match = /^([a-z_][a-z0-9_]*)(?:(?:[.[][^:]*)?(?:, [^:]+)?: | (?:must|is) )/i.exec(description);
  return match ? match[1]! : null;
}

/** A page of a list: `next_cursor` is null on the last page. */
export type Page<T> = ResourcePage<T>;

export type Query = Record<string, string | number | undefined | null>;

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  /** GET as NDJSON (`Accept: application/x-ndjson`): each line, parsed, to `onLine` as it arrives. */
  lines<T>(path: string, query: Query | undefined, onLine: (line: T) => void, signal?: AbortSignal): Promise<void>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** An API client for one admin key; `onUnauthorized` runs on a 401 (the key was refused). */
export function createApi(key: string, onUnauthorized: () => void, fetcher: typeof fetch = (...args) => fetch(...args)): Api {
  const send = async (method: string, path: string, accept: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept };
    const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store' };
    if (signal) init.signal = signal;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      return await fetcher(path, init);
    } catch (caught) {
      if (signal?.aborted) throw caught;
      throw new ApiError(0, 'network_error', 'The server did not answer. Is it running?');
    }
  };
  const parse = (text: string): unknown => {
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  };
  const refused = (response: Response, parsed: unknown): ApiError => {
    if (response.status === 401) onUnauthorized();
    const error = parsed as { error?: unknown; error_description?: unknown } | null;
    return new ApiError(
      response.status,
      typeof error?.error === 'string' ? error.error : 'http_error',
      typeof error?.error_description === 'string' ? error.error_description : `HTTP ${response.status}`,
    );
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await send(method, path, 'application/json', body);
    if (response.status === 204) return undefined as T;
    const parsed = parse(await response.text());
    if (!response.ok) throw refused(response, parsed);
    return parsed as T;
  };
  const lines = async <T>(path: string, query: Query | undefined, onLine: (line: T) => void, signal?: AbortSignal): Promise<void> => {
    const response = await send('GET', withQuery(path, query), 'application/x-ndjson', undefined, signal);
    if (!response.ok) throw refused(response, parse(await response.text()));
    const cutOff = () => new ApiError(0, 'network_error', 'The answer was cut off before it ended.');
    const reader = response.body?.getReader();
    if (!reader) throw cutOff();
    const decoder = new TextDecoder();
    let pending = '';
    const take = (text: string) => {
      const line = text.trim();
      if (line === '') return;
      const parsed = parse(line);
      if (parsed === null) throw cutOff();
      onLine(parsed as T);
    };
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (caught) {
        if (signal?.aborted) throw caught;
        throw cutOff();
      }
      pending += decoder.decode(chunk.value, { stream: !chunk.done });
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        take(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
      if (chunk.done) break;
    }
    take(pending);
  };
  return {
    get: (path, query) => call('GET', withQuery(path, query)),
    lines,
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
  };
}

// ---- shapes of the admin and audit APIs (CONTRACT.md); issuers and clients from @trust-broker/contracts ----

export type Issuer = IssuerResource;

export interface JwkView {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
  crv?: string;
}

export interface KeyStatus {
  keys: JwkView[];
  /** Added by the ignored-keys work; absent on older registries. */
  ignored?: { kid: string | null; reason: string }[];
  source: 'inline' | 'jwks_uri' | 'discovery' | string;
  jwks_uri: string | null;
  fetched_at: string | null;
  next_refresh_at: string | null;
  last_error: string | null;
  last_error_at?: string | null;
}

export type Client = ClientResource;

export interface AuditEvent {
  id: string;
  seq?: number;
  type: 'token' | 'introspection' | 'revocation' | 'admin';
  occurred_at: string;
  outcome: 'success' | 'failure';
  reason: string | null;
  error: string | null;
  actor: string | null;
  action: string | null;
  issuer: string | null;
  client_id: string | null;
  subject: string | null;
  kid: string | null;
  client_kid?: string | null;
  scope: string | null;
  grant_type: string | null;
  request_id: string | null;
}

export interface VerifyReport {
  intact: boolean;
  checked: number;
  broken_at: number | null;
  reason: string | null;
  /** Whether the walk started at the first row (audit-worker; absent from older ones). */
  full?: boolean;
}

/** A progress line of an NDJSON verify: the last seq checked so far, of the snapshot's last. */
export interface VerifyProgress {
  checked: number;
  walked: number;
  seq: number;
  last: number;
}

export interface MinuteCount {
  minute: string;
  success: number;
  failure: number;
}

export interface ExpressionCheck {
  valid: boolean;
  problems: { field: string; error_description: string }[];
}
