/**
 * The one logger of a service process (pino), CONTRACT.md `LOG_FORMAT`:
 * - `json`: one JSON object per line on stdout with `time`, `level`, `msg`, `service`, and
 *   `request_id` on every line about a request (`RequestLogger`, the access log);
 * - `pretty`: one readable line per entry for people, coloured only on a terminal.
 * Nest's own logger and every `new Logger(...)` write through it (`configureLogging`).
 * Never hand it a token, assertion, secret or key: request headers and bodies are never
 * logged, errors are reduced to name, message, code and stack, and the redact list is a
 * second line of defence.
 *
 * The request is named explicitly (`RequestLogger`, `noteRequestClient`), never through an
 * AsyncLocalStorage: on Node 20 one turns on promise hooks for every promise of the process
 * (~16 KB and ~16 us per token request, bench/README.md).
 */
import { Logger as NestLogger, type LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevelName, LogSettings } from './log-settings';

export { LOG_LEVELS, type LogFormat, type LogLevelName, type LogSettings } from './log-settings';

export type ServiceLogger = Logger;

/**
 * Fields that must never be printed if an object holding them is ever logged; nothing
 * logs headers or bodies, this only catches a mistake.
 */
const REDACTED_PATHS = [
  'headers.authorization',
  'headers.dpop',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.dpop',
  'req.headers.cookie',
  ...[
    'authorization',
    'assertion',
    'client_assertion',
    'client_secret',
    'subject_token',
    'actor_token',
    'access_token',
    'refresh_token',
    'token',
    'password',
    'secret',
    'private_key',
    'privateKey',
    'adminApiKey',
    'keyEncryptionKey',
    'd',
  ].flatMap((key) => [key, `*.${key}`]),
];

/** Fields the pretty format shows in the message instead of after it. */
const PRETTY_HIDDEN = ['service', 'context', 'method', 'route', 'status', 'duration_ms'];

/** An error as a log field: no enumerable extras (a driver error's query parameters, a request). */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}), stack: error.stack };
}

/** Where the lines go: stdout, or `destination` (tests), as JSON or through pino-pretty. */
function destinationFor(format: LogFormat, destination?: DestinationStream): DestinationStream {
  if (format === 'json') return destination ?? pino.destination({ dest: 1, sync: true });
  const terminal = destination ? (destination as { isTTY?: boolean }).isTTY === true : process.stdout.isTTY === true;
  return pinoPretty({
    destination: destination ?? 1,
    sync: true,
    // Colour codes only where a terminal shows them, never in files, pipes or container logs.
    colorize: terminal,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: PRETTY_HIDDEN.join(','),
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}

/** A pino logger with the service's settings; `destination` replaces stdout (tests). */
export function createServiceLogger(settings: LogSettings, destination?: DestinationStream): ServiceLogger {
  return pino(
    {
      level: settings.level,
      base: { service: settings.service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destinationFor(settings.format, destination),
  );
}

/** Nest's start-up chatter (modules loaded, routes mapped) is detail, not news. */
const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest's `LoggerService` over pino: the last string argument is Nest's context, a stack string becomes `stack`. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: ServiceLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Exclude<LogLevelName, 'silent'>, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    this.writeLine(level, message, rest, context, undefined);
  }

  /** One line: `context` as Nest names it, `requestId` when the line is about a request. */
  writeLine(level: Exclude<LogLevelName, 'silent'>, message: unknown, rest: unknown[], context: string | undefined, requestId: string | undefined): void {
    const effective = level === 'info' && context !== undefined && NEST_BOOT_CONTEXTS.has(context) ? 'debug' : level;
    if (!this.logger.isLevelEnabled(effective)) return;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (requestId !== undefined) fields.request_id = requestId;
    const stack = rest.find((param): param is string => typeof param === 'string' && /\n\s+at /.test(param));
    if (stack !== undefined) fields.stack = stack;
    const error = [message, ...rest].find((param): param is Error => param instanceof Error);
    if (error) fields.err = error;
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    this.logger[effective](fields, text);
  }
}

let current: { key: string; logger: ServiceLogger; nest: PinoNestLogger } | undefined;

/** Makes `logger` the process's logger and routes Nest's logger (and every `new Logger(context)`) to it. */
export function useLogger(logger: ServiceLogger, key = ''): ServiceLogger {
  const nest = new PinoNestLogger(logger);
  current = { key, logger, nest };
  NestLogger.overrideLogger(nest);
  return logger;
}

/**
 * Makes `settings` the process's logging (`useLogger`) and returns its logger; called
 * again with the same settings, returns the same logger.
 */
export function configureLogging(settings: LogSettings): ServiceLogger {
  const key = `${settings.service}|${settings.level}|${settings.format}`;
  return current?.key === key ? current.logger : useLogger(createServiceLogger(settings), key);
}

/** The process's logger (`configureLogging`), or a plain one when nothing configured it. */
export function serviceLogger(): ServiceLogger {
  return current?.logger ?? configureLogging({ service: 'trust-broker', level: 'info', format: 'pretty' });
}

/** A request as log lines name it: the Fastify request (its `id`), or its id. */
export type LoggedRequest = { readonly id: unknown } | string;

function requestIdOf(request: LoggedRequest | null | undefined): string | undefined {
  if (request === null || request === undefined) return undefined;
  return typeof request === 'string' ? request : String(request.id);
}

/**
 * `new Logger(context)` for lines about a request: each names the request it is given
 * (`request_id`); without one, a process line. Nothing is made per request unless a line
 * is written.
 */
export class RequestLogger {
  constructor(private readonly context: string) {}

  log(request: LoggedRequest | null | undefined, message: unknown, ...rest: unknown[]): void {
    this.write('info', request, message, rest);
  }
  warn(request: LoggedRequest | null | undefined, message: unknown, ...rest: unknown[]): void {
    this.write('warn', request, message, rest);
  }
  error(request: LoggedRequest | null | undefined, message: unknown, ...rest: unknown[]): void {
    this.write('error', request, message, rest);
  }
  debug(request: LoggedRequest | null | undefined, message: unknown, ...rest: unknown[]): void {
    this.write('debug', request, message, rest);
  }

  private write(level: 'info' | 'warn' | 'error' | 'debug', request: LoggedRequest | null | undefined, message: unknown, rest: unknown[]): void {
    if (!current) serviceLogger();
    current!.nest.writeLine(level, message, rest, this.context, requestIdOf(request));
  }
}

const CLIENT_ID = Symbol('loggedClientId');

/** Names the client of `request` in its access log line (not a secret: an identifier). */
export function noteRequestClient(request: object, clientId: string | null | undefined): void {
  if (clientId) (request as { [CLIENT_ID]?: string })[CLIENT_ID] = clientId;
}

/** The client `noteRequestClient` named for `request`, if any. */
export function requestClient(request: object): string | undefined {
  return (request as { [CLIENT_ID]?: string })[CLIENT_ID];
}
