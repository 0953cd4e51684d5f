/** `@trust-broker/service-kit/logging`: the process's pino logger, request context, and Nest's logger routed to it. */
export {
  configureLogging,
  useLogger,
  createServiceLogger,
  serviceLogger,
  noteRequestClient,
  runWithRequestContext,
  currentRequestContext,
  PinoNestLogger,
  LOG_LEVELS,
} from '../logging';
export type { LogFormat, LogLevelName, LogSettings, ServiceLogger, RequestLogContext } from '../logging';
