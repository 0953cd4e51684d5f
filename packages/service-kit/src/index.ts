export {
  ConfigError,
  loadConfig,
  booleanFromEnv,
  portFromEnv,
  urlFromEnv,
  commonEnvShape,
  trustProxyFromEnv,
  defaultLogFormat,
  bootLogSettings,
  logSettingsOf,
} from './config';
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
} from './logging';
export type { LogFormat, LogLevelName, LogSettings, ServiceLogger, RequestLogContext } from './logging';
export {
  ApiError,
  DomainError,
  HttpErrorFilter,
  invalidRequest,
  notFound,
  conflict,
  unauthorized,
  forbidden,
  temporarilyUnavailable,
  sendApiError,
  toApiError,
  fromFastifyError,
} from './errors';
export { createDataSource, runMigrationsWithLock, advisoryLockKey, ensureDatabaseExists } from './database';
export type { DomainErrorKind } from './errors';
export type { DataSourceOptions } from './database';
export { createRedis, parseClusterNodes, redisEndpointOf, waitForRedis } from './redis';
export { keySlot, RedisReplicationError, ReplicationBarrier } from './replication-barrier';
export type { RedisRole, RedisClient, RedisEndpoint, RedisClusterSeeds, RedisClusterNode } from './redis';
export { RedisKeyspace, keyspaceOf } from './redis-keyspace';
export { HealthModule, HealthController, ReadinessRegistry } from './health';
export type { ReadinessCheck, ReadinessOptions } from './health';
export { createAdminAuthGuard, readBearer, ADMIN_API_KEY } from './admin-auth';
export type { AuthenticatedRequest } from './admin-auth';
export { createHttpApp, listen } from './http-app';
export type { HttpAppOptions } from './http-app';
