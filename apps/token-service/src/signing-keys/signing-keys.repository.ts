/**
 * `token.signing_keys` in SQL. Every change runs in one transaction that first takes a
 * transaction-scoped advisory lock, so replicas that start or rotate together act one
 * after the other and each sees what the previous one did.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { advisoryLockKey } from '@trust-broker/service-kit/database';
import type { SigningKeyRow } from './signing-key';

const ROTATION_LOCK = advisoryLockKey('trust-broker:token:signing-keys');
const COLUMNS = 'kid, alg, public_jwk, private_ciphertext, status, created_at, activated_at, retired_at, expires_at';

export class SigningKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  async listKeys(manager: EntityManager = this.dataSource.manager): Promise<SigningKeyRow[]> {
    return manager.query(`SELECT ${COLUMNS} FROM token.signing_keys ORDER BY created_at`);
  }

  /** Runs `work` in a transaction holding the rotation lock. */
  async withRotationLock<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(${ROTATION_LOCK})`);
      return work(manager);
    });
  }

  async insertKey(manager: EntityManager, row: SigningKeyRow): Promise<void> {
    await manager.query(
      `INSERT INTO token.signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [row.kid, row.alg, JSON.stringify(row.public_jwk), row.private_ciphertext, row.status, row.created_at, row.activated_at, row.retired_at, row.expires_at],
    );
  }

  async retireKey(manager: EntityManager, kid: string, now: Date, expiresAt: Date): Promise<void> {
    await manager.query(
      `UPDATE token.signing_keys SET status = 'retired', retired_at = $2, expires_at = $3 WHERE kid = $1 AND status = 'active'`,
      [kid, now, expiresAt],
    );
  }

  async activateKey(manager: EntityManager, kid: string, now: Date): Promise<void> {
    await manager.query(`UPDATE token.signing_keys SET status = 'active', activated_at = $2 WHERE kid = $1 AND status = 'next'`, [kid, now]);
  }

  async deleteKey(manager: EntityManager, kid: string): Promise<void> {
    await manager.query(`DELETE FROM token.signing_keys WHERE kid = $1 AND status = 'retired'`, [kid]);
  }
}
