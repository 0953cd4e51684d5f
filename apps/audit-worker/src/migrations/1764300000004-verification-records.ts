import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit.verifications`: one row each time a walk of the chain found it intact through a
 * signed checkpoint that no earlier record named. GET /v1/audit/verify starts from the newest
 * record whose signature verifies, instead of from the first event. Each row is signed by the
 * worker's checkpoint key (see verification-records.ts), so a row slipped in by someone who
 * can write the table but does not hold the key is never trusted. Append-only like the
 * chain (the same trigger; retention pruning may delete rows below its anchor).
 */
export class VerificationRecords1764300000004 implements MigrationInterface {
  name = 'VerificationRecords1764300000004';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit.verifications (
        id               bigserial PRIMARY KEY,
        checkpoint_seq   bigint NOT NULL,
        checkpoint_hash  text NOT NULL,
        from_seq         bigint NOT NULL,
        verified_at      timestamptz NOT NULL,
        kid              text NOT NULL,
        signature        text NOT NULL
      )`);
    await runner.query(`CREATE INDEX verifications_checkpoint_seq ON audit.verifications (checkpoint_seq DESC, id DESC)`);
    await runner.query(
      `CREATE TRIGGER verifications_append_only BEFORE UPDATE OR DELETE ON audit.verifications
         FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`,
    );
    await runner.query(
      `CREATE TRIGGER verifications_no_truncate BEFORE TRUNCATE ON audit.verifications
         FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE audit.verifications`);
  }
}
