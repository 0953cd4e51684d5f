/**
 * The broker's own signing keys. The private key is stored only as an AES-256-GCM
 * envelope bound to its `kid` (AAD `signing_key:<kid>`). At most one `active` and one
 * `next` key at a time: the partial unique indexes make a second one fail even if two
 * replicas race past the advisory lock's logic.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSigningKeys1764320000000 implements MigrationInterface {
  name = 'CreateSigningKeys1764320000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE token.signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL CHECK (alg IN ('ES256', 'ES384', 'EdDSA', 'PS256', 'RS256')),
        public_jwk jsonb NOT NULL,
        private_ciphertext text NOT NULL,
        status text NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at timestamptz,
        expires_at timestamptz,
        CHECK (status <> 'active' OR activated_at IS NOT NULL),
        CHECK (status <> 'retired' OR (retired_at IS NOT NULL AND expires_at IS NOT NULL))
      )`);
    await runner.query(`CREATE UNIQUE INDEX signing_keys_one_active ON token.signing_keys ((status)) WHERE status = 'active'`);
    await runner.query(`CREATE UNIQUE INDEX signing_keys_one_next ON token.signing_keys ((status)) WHERE status = 'next'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE token.signing_keys');
  }
}
