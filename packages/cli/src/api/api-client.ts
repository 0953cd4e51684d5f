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
  form?: Record<string, string>;
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

export async function sendApiRequest<T>(request: ApiRequest): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (request.bearer !== undefined) headers.authorization = `Bearer ${request.bearer}`;
  if (request.basicAuth) headers.authorization = encodeBasicAuth(request.basicAuth.username, request.basicAuth.password);
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  }
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (error instanceof TypeError && cause === undefined) throw new UsageError(`invalid URL: ${request.url}`);
    throw new ConnectionError(`cannot reach ${request.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    const { error, description } = readErrorBody(text);
    throw new ApiRequestError(response.status, error, description, request.url);
  }
  if (text === '') return { status: response.status, body: undefined as T };
  try {
    return { status: response.status, body: JSON.parse(text) as T };
  } catch {
    throw new ApiRequestError(response.status, 'invalid_response', 'the server did not answer JSON', request.url);
  }
}
