/**
 * Errors that reach HTTP. An `ApiError` carries its status, its OAuth-style `error`
 * code, a description safe to show the caller, and optionally a stable `reason` code
 * for the audit log. `HttpErrorFilter` is the one place that turns errors into
 * responses: an unknown error is logged with its stack and answered with a generic 500
 * that shows nothing internal.
 */
import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
} from '@nestjs/common';
import { RequestLogger } from './logging';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly reason?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

/**
 * What kind of failure a domain error is; the one filter maps each kind to its HTTP answer
 * (`domainErrorAnswer`). `dependency_unavailable`: something the app needs did not answer
 * (its database, another service), so the caller retries: 503 with `Retry-After`.
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'dependency_unavailable';

/**
 * A failure an app's own rules name (an unknown id, a registration that conflicts, settings
 * that do not fit together, a dependency that is down): a stable `code` for logs and audit,
 * a message safe to show, and its kind. Apps subclass it per feature (`issuers.errors.ts`)
 * instead of throwing HTTP errors from their services; `HttpErrorFilter` answers it.
 */
export abstract class DomainError extends Error {
  protected constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const invalidRequest = (description: string, reason = 'invalid_request') =>
  new ApiError(400, 'invalid_request', description, reason);
export const notFound = (description: string) => new ApiError(404, 'not_found', description, 'not_found');
export const conflict = (description: string) => new ApiError(409, 'conflict', description, 'conflict');
export const unauthorized = (description: string) =>
  new ApiError(401, 'unauthorized', description, 'unauthorized', { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (description: string) => new ApiError(403, 'forbidden', description, 'forbidden');

/** The HTTP answer of a domain error, by its kind; a new kind does not compile until it has one. */
export function domainErrorAnswer(error: DomainError): ApiError {
  switch (error.kind) {
    case 'invalid':
      return new ApiError(400, 'invalid_request', error.message, error.code);
    case 'not_found':
      return new ApiError(404, 'not_found', error.message, error.code);
    case 'conflict':
      return new ApiError(409, 'conflict', error.message, error.code);
    case 'dependency_unavailable':
      return new ApiError(503, 'temporarily_unavailable', error.message, error.code, { 'Retry-After': '1' });
    default:
      return assertNever(error.kind);
  }
}

function assertNever(kind: never): never {
  throw new Error(`unhandled domain error kind: ${String(kind)}`);
}

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): void;
  sent?: boolean;
}

/** Maps an error thrown by Fastify itself (body parsing, limits) to an `ApiError`. */
export function fromFastifyError(error: { statusCode?: number; code?: string; message?: string }): ApiError | undefined {
  const status = error.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return new ApiError(413, 'invalid_request', 'request body too large', 'body_too_large');
  if (status === 415) return new ApiError(400, 'invalid_request', 'unsupported content type', 'unsupported_content_type');
  if (status === 404) return new ApiError(404, 'not_found', 'no such route', 'not_found');
  if (status === 405) return new ApiError(405, 'invalid_request', 'method not allowed', 'method_not_allowed');
  return new ApiError(400, 'invalid_request', describeClientError(error), 'malformed_request');
}

function describeClientError(error: { code?: string; message?: string }): string {
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'the JSON body is empty';
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(error.message ?? '')) return 'the body is not valid JSON';
  return 'malformed request';
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new RequestLogger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const apiError = toApiError(exception);
    if (!apiError) {
      const request = host.switchToHttp().getRequest<{ id?: unknown } | undefined>();
      this.logger.error(request?.id === undefined ? undefined : String(request.id), exception instanceof Error ? exception.stack ?? exception.message : String(exception));
      sendApiError(reply, new ApiError(500, 'server_error', 'internal error'));
      return;
    }
    sendApiError(reply, apiError);
  }
}

export function toApiError(exception: unknown): ApiError | undefined {
  if (exception instanceof ApiError) return exception;
  if (exception instanceof DomainError) return domainErrorAnswer(exception);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) return undefined;
    if (status === 404 || status === 405 || status === 413 || status === 415) return fromFastifyError({ statusCode: status });
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    return new ApiError(status === 413 ? 413 : status === 401 || status === 403 ? status : 400, 'invalid_request', message);
  }
  if (typeof exception === 'object' && exception !== null && 'statusCode' in exception) {
    return fromFastifyError(exception as { statusCode?: number; code?: string; message?: string });
  }
  return fromUnstorableText(exception);
}

/**
 * Postgres refuses text it cannot store (a NUL byte, an invalid sequence): SQLSTATE 22021
 * or 22P05. That text came from the request, so it is the caller's 400, not our 500.
 */
const UNSTORABLE_TEXT_CODES = new Set(['22021', '22P05']);

export function fromUnstorableText(exception: unknown): ApiError | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { code, driverError } = exception as { code?: unknown; driverError?: { code?: unknown } };
  if (!UNSTORABLE_TEXT_CODES.has(String(code ?? driverError?.code))) return undefined;
  return new ApiError(400, 'invalid_request', 'the request holds characters that cannot be stored (e.g. a NUL byte)', 'unstorable_text');
}

export function sendApiError(reply: ReplyLike, error: ApiError): void {
  if (reply.sent) return;
  reply.status(error.status).header('Cache-Control', 'no-store').header('Content-Type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.send({ error: error.error, error_description: error.description });
}
