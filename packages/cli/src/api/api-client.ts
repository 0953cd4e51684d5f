/**
 * A small JSON-over-HTTP client for the admin, audit and OAuth endpoints. Every
 * non-2xx answer becomes an ApiRequestError that carries the server's `error` and
 * `error_description`, so the user sees why, not just a status code.
 */
import { ApiRequestError, ConnectionError, UsageError } from '../cli.errors';

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  bearer?: string;
  json?: unknown;
  /** A list value is sent as that parameter repeated (RFC 8693 `audience`, RFC 8707 `resource`). */
  form?: Record<string, string | readonly string[]>;
  basicAuth?: { username: string; password: string };
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding. */
export function encodeBasicAuth(username: string, password: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(username)}:${encode(password)}`).toString('base64')}`;
}

export function joinUrl(base: string, path: string, query?: Record<string, string | number | undefined>): string {
  const url = new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  }
  return url.toString();
}

function readErrorBody(text: string): { error: string; description: string | undefined } {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown; message?: unknown };
    const error = typeof body.error === 'string' ? body.error : 'http_error';
    const description =
      typeof body.error_description === 'string' ? body.error_description : typeof body.message === 'string' ? body.message : undefined;
    return { error, description };
  } catch {
    return { error: 'http_error', description: text.trim().slice(0, 200) || undefined };
  }
}

function requestInit(request: ApiRequest, accept: string): { headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = { accept };
  let body: string | undefined;
  if (request.bearer !== undefined) headers.authorization = `Bearer ${request.bearer}`;
  if (request.basicAuth) headers.authorization = encodeBasicAuth(request.basicAuth.username, request.basicAuth.password);
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(request.form)) {
      for (const item of typeof value === 'string' ? [value] : value) params.append(name, item);
    }
    body = params.toString();
  }
  return { headers, body };
}

async function send(request: ApiRequest, accept: string, signal: AbortSignal): Promise<Response> {
  const { headers, body } = requestInit(request, accept);
  try {
    return await fetch(request.url, { method: request.method, headers, body, signal });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (error instanceof TypeError && cause === undefined) throw new UsageError(`invalid URL: ${request.url}`);
    throw new ConnectionError(`cannot reach ${request.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

async function refuse(response: Response, url: string): Promise<never> {
  const { error, description } = readErrorBody(await response.text());
  throw new ApiRequestError(response.status, error, description, url);
}

function parseJson<T>(text: string, status: number, url: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiRequestError(status, 'invalid_response', 'the server did not answer JSON', url);
  }
}

export async function sendApiRequest<T>(request: ApiRequest): Promise<ApiResponse<T>> {
  const response = await send(request, 'application/json', AbortSignal.timeout(REQUEST_TIMEOUT_MS));
  if (!response.ok) return refuse(response, request.url);
  const text = await response.text();
  if (text === '') return { status: response.status, body: undefined as T };
  return { status: response.status, body: parseJson<T>(text, response.status, request.url) };
}

/**
 * A request whose answer may be NDJSON (`Accept: application/x-ndjson`, plain JSON also
 * taken): each line is handed to `onLine` as it arrives and the last one is returned. The
 * answer may take as long as it needs; only `idleTimeoutMs` without a byte is a timeout.
 */
export async function sendNdjsonRequest<T>(request: ApiRequest, onLine: (value: unknown) => void, idleTimeoutMs = REQUEST_TIMEOUT_MS): Promise<ApiResponse<T>> {
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), idleTimeoutMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), idleTimeoutMs);
  };
  try {
    const response = await send(request, 'application/x-ndjson, application/json;q=0.9', idle.signal);
    if (!response.ok) return await refuse(response, request.url);
    if (!(response.headers.get('content-type') ?? '').startsWith('application/x-ndjson')) {
      const body = parseJson<T>(await response.text(), response.status, request.url);
      onLine(body);
      return { status: response.status, body };
    }
    const decoder = new TextDecoder();
    let pending = '';
    let last: unknown;
    const take = (line: string) => {
      if (line.trim() === '') return;
      last = parseJson<unknown>(line, response.status, request.url);
      onLine(last);
    };
    for await (const chunk of response.body ?? []) {
      rearm();
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        take(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    }
    take(pending + decoder.decode());
    if (last === undefined) throw new ApiRequestError(response.status, 'invalid_response', 'the server answered nothing', request.url);
    // A stream that failed after its 200 ends with an error line.
    const failure = last as { error?: unknown; error_description?: unknown };
    if (typeof failure.error === 'string') {
      throw new ApiRequestError(response.status, failure.error, typeof failure.error_description === 'string' ? failure.error_description : undefined, request.url);
    }
    return { status: response.status, body: last as T };
  } catch (error) {
    if (idle.signal.aborted) throw new ConnectionError(`no answer from ${request.url} for ${Math.round(idleTimeoutMs / 1000)} s`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
