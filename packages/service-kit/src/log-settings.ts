/** What a process's logging is set to (`LOG_LEVEL`, `LOG_FORMAT`): read by the config, applied by the logger. */
export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export interface LogSettings {
  /** The `service` field of every line. */
  service: string;
  level: LogLevelName;
  format: LogFormat;
}
