/**
 * Revoked access tokens (RFC 7009), the durable copy of the Redis revocation marks:
 * a row is useless once the token has expired, so `expires_at` is indexed for purging.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRevokedTokens1764320000001 implements MigrationInterface {
  name = 'CreateRevokedTokens1764320000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE token.revoked_tokens (
        jti text PRIMARY KEY,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        client_id text
      )`);
    await runner.query('CREATE INDEX revoked_tokens_expires_at ON token.revoked_tokens (expires_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE token.revoked_tokens');
  }
}
