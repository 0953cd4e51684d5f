import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit.append_events(batch json)`: appends a batch to the chain in one statement (one
 * round trip, its own transaction). It locks the chain head, skips ids already stored
 * (and repeats inside the batch), gives each new event the next seq and
 * hash = sha256(prev_hash bytes || UTF-8 of its canonical JSON) (the canonical form is
 * computed by the worker, RFC 8785, and passed beside the event), then inserts them all
 * at once (ON CONFLICT (id) DO NOTHING as a last guard) and moves the head.
 * Batch items: {"canonical": "<RFC 8785 text>", "event": {<AuditEvent>}}.
 */
export class AppendFunction1764300000002 implements MigrationInterface {
  name = 'AppendFunction1764300000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION audit.append_events(batch json)
      RETURNS TABLE (head_seq bigint, head_hash text, written integer, checkpoint_seq bigint)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        head audit.chain_head%ROWTYPE;
        item record;
        stored uuid[];
        taken uuid[] := '{}';
        ords bigint[] := '{}';
        seqs bigint[] := '{}';
        prevs text[] := '{}';
        hashes text[] := '{}';
        prev bytea;
        next bytea;
        inserted integer;
      BEGIN
        SELECT * INTO head FROM audit.chain_head WHERE id = 1 FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'audit.chain_head has no row';
        END IF;
        -- Under the lock: which ids are stored already (redelivered jobs take no seq).
        stored := ARRAY(SELECT e.id FROM audit.events e
                         WHERE e.id IN (SELECT (value->'event'->>'id')::uuid FROM json_array_elements(batch)));
        prev := decode(head.hash, 'hex');
        FOR item IN SELECT x.value->>'canonical' AS canonical, (x.value->'event'->>'id')::uuid AS id, x.ordinality AS ord
                      FROM json_array_elements(batch) WITH ORDINALITY AS x LOOP
          CONTINUE WHEN item.id = ANY(stored) OR item.id = ANY(taken);
          taken := taken || item.id;
          head.seq := head.seq + 1;
          next := sha256(prev || convert_to(item.canonical, 'UTF8'));
          ords := ords || item.ord;
          seqs := seqs || head.seq;
          prevs := prevs || encode(prev, 'hex');
          hashes := hashes || encode(next, 'hex');
          prev := next;
        END LOOP;
        IF cardinality(seqs) > 0 THEN
          -- One set-based insert: far cheaper than a row at a time.
          INSERT INTO audit.events (seq, id, type, occurred_at, outcome, reason, error, actor, action, issuer,
                                    client_id, subject, kid, client_kid, jti_hash, scope, grant_type, request_id,
                                    remote_addr, details, prev_hash, hash)
          SELECT c.seq, r.id, r.type, r.occurred_at, r.outcome, r.reason, r.error, r.actor, r.action, r.issuer,
                 r.client_id, r.subject, r.kid, r.client_kid, r.jti_hash, r.scope, r.grant_type, r.request_id,
                 r.remote_addr, r.details, c.prev_hash, c.hash
            FROM unnest(ords, seqs, prevs, hashes) AS c(ord, seq, prev_hash, hash)
            JOIN json_array_elements(batch) WITH ORDINALITY AS x(value, ord) ON x.ord = c.ord
            CROSS JOIN LATERAL json_populate_record(NULL::audit.events, x.value->'event') AS r
           ORDER BY c.seq
          ON CONFLICT (id) DO NOTHING;
          GET DIAGNOSTICS inserted = ROW_COUNT;
          IF inserted <> cardinality(seqs) THEN
            -- Cannot happen under the lock; if it did, the chain would get a gap: refuse.
            RAISE EXCEPTION 'audit chain: % of % events inserted', inserted, cardinality(seqs);
          END IF;
          UPDATE audit.chain_head SET seq = head.seq, hash = encode(prev, 'hex') WHERE id = 1;
        END IF;
        RETURN QUERY SELECT head.seq, encode(prev, 'hex'), cardinality(seqs), head.checkpoint_seq;
      END
      $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP FUNCTION audit.append_events(json)`);
  }
}
