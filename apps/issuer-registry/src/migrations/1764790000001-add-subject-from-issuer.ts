/**
 * `registry.issuers.subject_from_issuer` (CONTRACT.md): an assertion of this issuer
 * without `sub` stands for its `iss` (Google's service-account JWT bearer flow). Existing
 * issuers keep requiring `sub`.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddSubjectFromIssuer1764790000001 implements MigrationInterface {
  name = 'AddSubjectFromIssuer1764790000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.issuers ADD COLUMN IF NOT EXISTS subject_from_issuer boolean NOT NULL DEFAULT false`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.issuers DROP COLUMN IF EXISTS subject_from_issuer`);
  }
}
