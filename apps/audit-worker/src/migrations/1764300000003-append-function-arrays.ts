import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit.append_events(canonicals text[], events json)`: the same append as the
 * `(batch json)` version (lock the head, skip ids already stored and repeats inside the
 * batch, chain hash = sha256(prev_hash bytes || UTF-8 of the canonical JSON), one set-based
 * insert, move the head), with less Postgres time per batch (figures in bench/README.md):
 * - the events are parsed once (json_populate_recordset into an array of rows) instead of
 *   json_array_elements twice plus `->` on every element;
 * - the canonical texts come as a text[] beside them (item i hashes canonicals[i]);
 * - the new ids are found with one DISTINCT ON + NOT EXISTS (index) query instead of
 *   `= ANY(...)` scans per event, and the loop fills preallocated arrays instead of
 *   appending (each `||` copied the array: O(n^2)).
 * The `(batch json)` version stays, so that a replica still running the previous release
 * keeps working during a rolling upgrade; both take the same lock and write the same chain.
 */
export class AppendFunctionArrays1764300000003 implements MigrationInterface {
  name = 'AppendFunctionArrays1764300000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION audit.append_events(canonicals text[], events json)
      RETURNS TABLE (head_seq bigint, head_hash text, written integer, checkpoint_seq bigint)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        head audit.chain_head%ROWTYPE;
        rows_in audit.events[];
        ords bigint[];
        prevs text[];
        hashes text[];
        n integer;
        prev bytea;
        next bytea;
        inserted integer;
      BEGIN
        SELECT * INTO head FROM audit.chain_head WHERE id = 1 FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'audit.chain_head has no row';
        END IF;
        rows_in := ARRAY(SELECT r FROM json_populate_recordset(NULL::audit.events, events) AS r);
        IF cardinality(rows_in) <> cardinality(canonicals) THEN
          RAISE EXCEPTION 'audit batch: % events, % canonical forms', cardinality(rows_in), cardinality(canonicals);
        END IF;
        SELECT coalesce(array_agg(f.ord ORDER BY f.ord), '{}') INTO ords
          FROM (SELECT DISTINCT ON (u.id) u.id, u.ordinality AS ord FROM unnest(rows_in) WITH ORDINALITY AS u ORDER BY u.id, u.ordinality) f
         WHERE NOT EXISTS (SELECT 1 FROM audit.events e WHERE e.id = f.id);
        n := cardinality(ords);
        prevs := array_fill(NULL::text, ARRAY[n]);
        hashes := array_fill(NULL::text, ARRAY[n]);
        prev := decode(head.hash, 'hex');
        FOR i IN 1..n LOOP
          next := sha256(prev || convert_to(canonicals[ords[i]], 'UTF8'));
          prevs[i] := encode(prev, 'hex');
          hashes[i] := encode(next, 'hex');
          prev := next;
        END LOOP;
        IF n > 0 THEN
          INSERT INTO audit.events (seq, id, type, occurred_at, outcome, reason, error, actor, action, issuer,
                                    client_id, subject, kid, client_kid, jti_hash, scope, grant_type, request_id,
                                    remote_addr, details, prev_hash, hash)
          SELECT head.seq + c.i, r.id, r.type, r.occurred_at, r.outcome, r.reason, r.error, r.actor, r.action, r.issuer,
                 r.client_id, r.subject, r.kid, r.client_kid, r.jti_hash, r.scope, r.grant_type, r.request_id,
                 r.remote_addr, r.details, c.prev_hash, c.hash
            FROM unnest(ords, prevs, hashes) WITH ORDINALITY AS c(ord, prev_hash, hash, i)
            JOIN unnest(rows_in) WITH ORDINALITY AS r ON r.ordinality = c.ord
           ORDER BY c.i
          ON CONFLICT (id) DO NOTHING;
          GET DIAGNOSTICS inserted = ROW_COUNT;
          IF inserted <> n THEN
            RAISE EXCEPTION 'audit chain: % of % events inserted', inserted, n;
          END IF;
          head.seq := head.seq + n;
          UPDATE audit.chain_head SET seq = head.seq, hash = encode(prev, 'hex') WHERE id = 1;
        END IF;
        RETURN QUERY SELECT head.seq, encode(prev, 'hex'), n, head.checkpoint_seq;
      END
      $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP FUNCTION audit.append_events(text[], json)`);
  }
}
