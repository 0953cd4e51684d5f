/** `@trust-broker/service-kit/logging`: the process's pino logger, lines about a request, and Nest's logger routed to it. */
export {
  configureLogging,
  useLogger,
  createServiceLogger,
  serviceLogger,
  noteRequestClient,
  requestClient,
  RequestLogger,
  PinoNestLogger,
  LOG_LEVELS,
} from '../logging';
export type { LogFormat, LogLevelName, LogSettings, ServiceLogger, LoggedRequest } from '../logging';
