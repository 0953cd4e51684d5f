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
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetcher(path, init);
    } catch {
      throw new ApiError(0, 'network_error', 'The server did not answer. Is it running?');
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      if (response.status === 401) onUnauthorized();
      const error = parsed as { error?: unknown; error_description?: unknown } | null;
      throw new ApiError(
        response.status,
        typeof error?.error === 'string' ? error.error : 'http_error',
        typeof error?.error_description === 'string' ? error.error_description : `HTTP ${response.status}`,
      );
    }
    return parsed as T;
  };
  return {
    get: (path, query) => call('GET', withQuery(path, query)),
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
