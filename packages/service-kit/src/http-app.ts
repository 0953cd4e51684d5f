/**
 * Builds a NestJS application on Fastify with the settings every service shares:
 * a body limit, JSON errors for anything Fastify itself rejects, request ids, the
 * process's pino logger for Nest and one access log line per request, the reverse
 * proxies whose X-Forwarded-For is believed (TRUST_PROXY), and the one exception filter.
 */
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HttpErrorFilter } from './errors';
import { configureLogging, PinoNestLogger, serviceLogger, useLogger, type LogSettings, type ServiceLogger } from './logging';
import { writeAccessLog } from './access-log';

export interface HttpAppOptions {
  bodyLimit?: number;
  /** The process's logging (`configureLogging`); without it, whatever the process configured. */
  log?: LogSettings;
  /** A logger to use instead (tests give one that writes to memory). */
  logger?: ServiceLogger;
  /**
   * TRUST_PROXY: addresses or CIDRs of reverse proxies. A request from one of them has its
   * address taken from X-Forwarded-For: the rightmost address that is not a trusted proxy.
   * Empty (the default): the peer address, X-Forwarded-For ignored.
   */
  trustProxy?: readonly string[];
}

export async function createHttpApp(module: unknown, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ? useLogger(options.logger) : options.log ? configureLogging(options.log) : serviceLogger();
  const trustProxy = options.trustProxy ?? [];
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1_048_576,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    },
    // proxy-addr: walks X-Forwarded-For from the right while the hop is trusted.
    trustProxy: trustProxy.length > 0 ? [...trustProxy] : false,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new HttpErrorFilter());
  // Nest routes Fastify's own errors (body too large, malformed JSON) and unknown routes
  // through the exception filters too, so HttpErrorFilter answers all of them.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => writeAccessLog(logger, request, reply));
  app.enableShutdownHooks();
  return app;
}

/** Listens on 127.0.0.1 or 0.0.0.0 and returns the URL. */
export async function listen(app: INestApplication, port: number, host = '0.0.0.0'): Promise<string> {
  await app.listen(port, host);
  const url = await app.getUrl();
  return url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
}
