/**
 * SQL access for the registry's services: `rows` outside a transaction, `transaction` for
 * a change plus its outbox entries. A Postgres that cannot be reached becomes 503
 * `temporarily_unavailable`, never a 500.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { RegistryDatabaseError } from './registry-database.errors';

export const REGISTRY_DATA_SOURCE = Symbol('REGISTRY_DATA_SOURCE');

/** One connection's SQL, inside or outside a transaction. */
export interface Sql {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

class RunnerSql implements Sql {
  constructor(private readonly runner: QueryRunner) {}

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    // The structured result gives the rows for SELECT, INSERT, UPDATE and DELETE alike.
    const result = await this.runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  }
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** True when the error says Postgres could not be reached (not that the query was wrong). */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && CONNECTION_ERROR_CODES.has(candidate.code)) return true;
    if (typeof candidate.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(candidate.message)) return true;
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}

/** True for a uuid's text: other text compared with a uuid column would fail the query, not miss. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** The Postgres error code (`23505` unique violation, ...) of an error, if any. */
export function postgresErrorCode(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' ? code : undefined;
}

@Injectable()
export class RegistryDatabase {
  constructor(@Inject(REGISTRY_DATA_SOURCE) readonly dataSource: DataSource) {}

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.transaction((tx) => tx.rows<T>(sql, params), false);
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>, transactional = true): Promise<T> {
    let runner: QueryRunner | undefined;
    try {
      runner = this.dataSource.createQueryRunner();
      await runner.connect();
      if (!transactional) return await work(new RunnerSql(runner));
      await runner.startTransaction();
      try {
        const result = await work(new RunnerSql(runner));
        await runner.commitTransaction();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new RegistryDatabaseError('database_unavailable', 'the registry database cannot be reached');
      throw error;
    } finally {
      await runner?.release().catch(() => undefined);
    }
  }
}
