/**
 * `registry.issuers.refresh_tokens` and `refresh_token_ttl_s` (CONTRACT.md "Refresh
 * tokens and DPoP"): whether an issuer's grants and exchanges may also return refresh
 * tokens, and the longest life of a refresh-token family. Existing issuers get none.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddIssuerRefreshTokens1796330000000 implements MigrationInterface {
  name = 'AddIssuerRefreshTokens1796330000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.issuers ADD COLUMN IF NOT EXISTS refresh_tokens boolean NOT NULL DEFAULT false`);
    await runner.query(
      `ALTER TABLE registry.issuers ADD COLUMN IF NOT EXISTS refresh_token_ttl_s integer NOT NULL DEFAULT 86400
         CONSTRAINT issuers_refresh_token_ttl_s_range CHECK (refresh_token_ttl_s BETWEEN 60 AND 2592000)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.issuers DROP COLUMN IF EXISTS refresh_token_ttl_s`);
    await runner.query(`ALTER TABLE registry.issuers DROP COLUMN IF EXISTS refresh_tokens`);
  }
}
