/** `@trust-broker/service-kit/config`: typed configuration from the environment (zod only; no Nest, no database or Redis client). */
export {
  ConfigError,
  loadConfig,
  missingInProduction,
  booleanFromEnv,
  portFromEnv,
  urlFromEnv,
  commonEnvShape,
  trustProxyFromEnv,
  defaultLogFormat,
  bootLogSettings,
  logSettingsOf,
  commonConfigOf,
  type CommonConfig,
  type CommonEnv,
} from '../config';
export { LOG_LEVELS, type LogFormat, type LogLevelName, type LogSettings } from '../log-settings';
export { parseClusterNodes, type RedisClusterNode, type RedisClusterSeeds } from '../redis-cluster-nodes';
