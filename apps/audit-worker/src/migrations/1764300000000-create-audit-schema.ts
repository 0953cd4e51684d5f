import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit schema: hash-chained events, the chain head (the one row every writer
 * locks, so replicas never fork the chain), signed checkpoints and the signing keys.
 * Events and checkpoints are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE,
 * except DELETE by the retention pruning (which sets `audit.pruning` for its transaction).
 */
export class CreateAuditSchema1764300000000 implements MigrationInterface {
  name = 'CreateAuditSchema1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit.events (
        seq          bigint PRIMARY KEY,
        id           uuid NOT NULL,
        type         text NOT NULL,
        occurred_at  timestamptz NOT NULL,
        outcome      text NOT NULL,
        reason       text,
        error        text,
        actor        text,
        action       text,
        issuer       text,
        client_id    text,
        subject      text,
        kid          text,
        client_kid   text,
        jti_hash     text,
        scope        text,
        grant_type   text,
        request_id   text,
        remote_addr  text,
        details      jsonb,
        prev_hash    text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_id_unique UNIQUE (id)
      )`);
    await runner.query(`CREATE INDEX events_issuer_seq ON audit.events (issuer, seq)`);
    await runner.query(`CREATE INDEX events_client_id_seq ON audit.events (client_id, seq)`);
    await runner.query(`CREATE INDEX events_subject_seq ON audit.events (subject, seq)`);
    await runner.query(`CREATE INDEX events_occurred_at ON audit.events (occurred_at)`);

    await runner.query(`
      CREATE TABLE audit.chain_head (
        id              smallint PRIMARY KEY CHECK (id = 1),
        seq             bigint NOT NULL,
        hash            text NOT NULL,
        checkpoint_seq  bigint NOT NULL,
        checkpoint_at   timestamptz NOT NULL
      )`);
    await runner.query(`INSERT INTO audit.chain_head VALUES (1, 0, repeat('0', 64), 0, now())`);

    await runner.query(`
      CREATE TABLE audit.checkpoints (
        seq         bigint PRIMARY KEY,
        hash        text NOT NULL,
        created_at  timestamptz NOT NULL,
        kid         text NOT NULL,
        signature   text NOT NULL
      )`);

    await runner.query(`
      CREATE TABLE audit.signing_keys (
        kid                    text PRIMARY KEY,
        public_jwk             jsonb NOT NULL,
        sealed                 text NOT NULL,
        private_key_encrypted  text,
        created_at             timestamptz NOT NULL DEFAULT now()
      )`);

    await runner.query(`
      CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('audit.pruning', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit.% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    for (const table of ['events', 'checkpoints']) {
      await runner.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON audit.${table}
           FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`,
      );
      await runner.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON audit.${table}
           FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`,
      );
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE audit.signing_keys, audit.checkpoints, audit.chain_head, audit.events`);
    await runner.query(`DROP FUNCTION audit.refuse_change()`);
  }
}
