/**
 * Builds a NestJS application on Fastify with the settings every service shares:
 * a body limit, JSON errors for anything Fastify itself rejects, request ids,
 * and the one exception filter.
 */
import { randomUUID } from 'node:crypto';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HttpErrorFilter } from './errors';

export interface HttpAppOptions {
  bodyLimit?: number;
  logLevel?: string;
  logger?: LoggerService | false;
}

export function nestLogLevels(level: string | undefined): LogLevel[] | false {
  switch (level) {
    case 'silent':
      return false;
    case 'fatal':
      return ['fatal'];
    case 'error':
      return ['fatal', 'error'];
    case 'warn':
      return ['fatal', 'error', 'warn'];
    case 'debug':
      return ['fatal', 'error', 'warn', 'log', 'debug'];
    case 'trace':
      return ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
    default:
      return ['fatal', 'error', 'warn', 'log'];
  }
}

export async function createHttpApp(module: unknown, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1_048_576,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    },
    trustProxy: false,
    return503OnClosing: true,
  });
  const levels = nestLogLevels(options.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: options.logger ?? levels,
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
  app.enableShutdownHooks();
  return app;
}

/** Listens on 127.0.0.1 or 0.0.0.0 and returns the URL. */
export async function listen(app: INestApplication, port: number, host = '0.0.0.0'): Promise<string> {
  await app.listen(port, host);
  const url = await app.getUrl();
  return url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
}
