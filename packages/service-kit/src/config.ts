/**
 * Typed configuration, read once: each app declares a zod schema over the environment;
 * `loadConfig` parses it and, on failure, throws a `ConfigError` that names every bad
 * variable (the app's `main.ts` prints it and exits). Nothing else reads `process.env`.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    return `${variable}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** `true`/`false`/`1`/`0` (case-insensitive) to a boolean; anything else is an error. */
export const booleanFromEnv = (defaultValue: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return defaultValue;
      const v = value.toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
      return z.NEVER;
    });

export const portFromEnv = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65535).default(defaultPort);

/** A URL with one of the given protocols. */
export const urlFromEnv = (protocols: string[], defaultValue?: string) => {
  const base = z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL (${protocols.join(', ')})` },
  );
  return defaultValue === undefined ? base : base.default(defaultValue);
};

/** Settings every service shares (CONTRACT.md, "Processes, ports, settings"). */
export const commonEnvShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: urlFromEnv(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/trust_broker'),
  REDIS_URL: urlFromEnv(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Prefix of every Redis key, queue and channel of this deployment (tests use a fresh one). */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only').default('tb'),
  BROKER_ISSUER: urlFromEnv(['http:', 'https:'], 'http://localhost:8080').transform((v) => v.replace(/\/+$/, '')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};
