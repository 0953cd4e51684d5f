/**
 * One access log line per answered request: method, route (the route's pattern, never the
 * raw URL, whose query or path may carry a credential), status, duration, request_id and,
 * where the service learnt it, the client id. Headers and bodies are never logged. Health,
 * readiness and metrics probes are logged at debug (a 503 readiness is not an error).
 */
import { requestClient, type ServiceLogger } from './logging';

interface AnsweredRequest {
  id: string;
  method: string;
  routeOptions: { url?: string };
}

interface Answer {
  statusCode: number;
  elapsedTime: number;
}

/** Probes that orchestrators and `npm start` call every few seconds: their lines are detail. */
const PROBE_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export function writeAccessLog(logger: ServiceLogger, request: AnsweredRequest, reply: Answer): void {
  const probe = request.method === 'GET' && PROBE_ROUTES.has(request.routeOptions.url ?? '');
  const level = reply.statusCode >= 500 && !probe ? 'error' : probe ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const clientId = requestClient(request);
  const route = request.routeOptions.url ?? null;
  const durationMs = Math.round(reply.elapsedTime * 10) / 10;
  logger[level](
    {
      request_id: String(request.id),
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: durationMs,
      ...(clientId ? { client_id: clientId } : {}),
    },
    `${request.method} ${route ?? '(no route)'} ${reply.statusCode} ${durationMs} ms`,
  );
}
