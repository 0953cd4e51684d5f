/**
 * `registry.party_keys.ignored`: the members of a party's key set that the broker holds
 * but never uses (RFC 7517 §5: encryption keys, unsupported types, weak or malformed
 * keys), as `[{"kid", "reason"}]`, shown by the admin API's key status. token-service
 * reads only `keys`, so an ignored key can never verify an assertion.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddIgnoredKeys1764790000000 implements MigrationInterface {
  name = 'AddIgnoredKeys1764790000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.party_keys ADD COLUMN IF NOT EXISTS ignored jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.party_keys DROP COLUMN IF EXISTS ignored`);
  }
}
