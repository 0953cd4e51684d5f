import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `issuer` (up to 2,048 characters) and `subject` (1,024) can exceed the btree limit of
 * ~2.7 kB in UTF-8; such an event could then never be stored (and an attacker choosing an
 * assertion's `iss` could keep their failures out of the log). Index their MD5 instead;
 * queries compare the MD5 first, then the value itself.
 */
export class HashIndexesForLongValues1764300000001 implements MigrationInterface {
  name = 'HashIndexesForLongValues1764300000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX audit.events_issuer_seq`);
    await runner.query(`DROP INDEX audit.events_subject_seq`);
    await runner.query(`CREATE INDEX events_issuer_md5_seq ON audit.events (md5(issuer), seq)`);
    await runner.query(`CREATE INDEX events_subject_md5_seq ON audit.events (md5(subject), seq)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX audit.events_issuer_md5_seq`);
    await runner.query(`DROP INDEX audit.events_subject_md5_seq`);
    await runner.query(`CREATE INDEX events_issuer_seq ON audit.events (issuer, seq)`);
    await runner.query(`CREATE INDEX events_subject_seq ON audit.events (subject, seq)`);
  }
}
