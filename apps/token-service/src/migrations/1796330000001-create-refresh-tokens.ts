/**
 * Refresh-token families and their tokens (CONTRACT.md "Refresh tokens and DPoP").
 * A family is what one grant started: the client, the trusted issuer, the subject (as the
 * assertion stated it, for the `subjects` re-check, and as the token carries it), the
 * scope and audience, the mapped claims (so a refresh gives the same token contents), the
 * DPoP key thumbprint, and the absolute expiry. A token is stored only as its SHA-256;
 * `used_at` set is a rotated token, whose second use ends the family (`revoked_at`).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRefreshTokens1796330000001 implements MigrationInterface {
  name = 'CreateRefreshTokens1796330000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE token.refresh_token_families (
        id uuid PRIMARY KEY,
        client_id text,
        issuer_id uuid NOT NULL,
        issuer text NOT NULL,
        assertion_subject text NOT NULL,
        subject text NOT NULL,
        scopes text[] NOT NULL,
        audience text[] NOT NULL,
        mapped_claims jsonb NOT NULL DEFAULT '{}'::jsonb,
        dpop_jkt text,
        grant_type text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await runner.query('CREATE INDEX refresh_token_families_active_client ON token.refresh_token_families (client_id) WHERE revoked_at IS NULL');
    await runner.query('CREATE INDEX refresh_token_families_active_issuer ON token.refresh_token_families (issuer_id) WHERE revoked_at IS NULL');
    await runner.query('CREATE INDEX refresh_token_families_expires_at ON token.refresh_token_families (expires_at)');
    await runner.query(`
      CREATE TABLE token.refresh_tokens (
        token_hash bytea PRIMARY KEY,
        family_id uuid NOT NULL REFERENCES token.refresh_token_families (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz
      )`);
    await runner.query('CREATE INDEX refresh_tokens_family ON token.refresh_tokens (family_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE token.refresh_tokens');
    await runner.query('DROP TABLE token.refresh_token_families');
  }
}
