/**
 * One access log line per answered request: method, route (the route's pattern, never the
 * raw URL, whose query or path may carry a credential), status, duration, request_id and,
 * where the service learnt it, the client id. Headers and bodies are never logged.
 */
import type { RequestLogContext, ServiceLogger } from './logging';

interface AnsweredRequest {
  id: string;
  method: string;
  routeOptions: { url?: string };
}

interface Answer {
  statusCode: number;
  elapsedTime: number;
}

const CONTEXT = Symbol('requestLogContext');

interface WithLogContext {
  [CONTEXT]?: RequestLogContext;
}

/** The request's log context, made on first use and kept on the request. */
export function requestLogContext(request: { id: string }): RequestLogContext {
  const holder = request as WithLogContext;
  holder[CONTEXT] ??= { requestId: String(request.id) };
  return holder[CONTEXT];
}

export function writeAccessLog(logger: ServiceLogger, request: AnsweredRequest, reply: Answer): void {
  const level = reply.statusCode >= 500 ? 'error' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const context = requestLogContext(request);
  const route = request.routeOptions.url ?? null;
  const durationMs = Math.round(reply.elapsedTime * 10) / 10;
  logger[level](
    {
      request_id: context.requestId,
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: durationMs,
      ...(context.clientId ? { client_id: context.clientId } : {}),
    },
    `${request.method} ${route ?? '(no route)'} ${reply.statusCode} ${durationMs} ms`,
  );
}
