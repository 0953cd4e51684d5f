/**
 * `token.refresh_tokens.previous_hash`: the SHA-256 of the token a rotation replaced, so a
 * rotation whose answer never reached the client (the audit event or the signing failed,
 * 503) can be withdrawn and the client's token stays usable, instead of its retry being
 * taken for reuse. Tokens issued before have none (they cannot be withdrawn: fail closed).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddRefreshTokenPredecessor1796330000002 implements MigrationInterface {
  name = 'AddRefreshTokenPredecessor1796330000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE token.refresh_tokens ADD COLUMN IF NOT EXISTS previous_hash bytea');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE token.refresh_tokens DROP COLUMN IF EXISTS previous_hash');
  }
}
