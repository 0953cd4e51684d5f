/**
 * The admin API's window on refresh-token families (issue 23). token-service owns
 * `token.refresh_token_families`; issuer-registry, which serves the admin API, neither reads
 * nor writes the table: it calls these two functions, whose signatures are the contract
 * (`packages/contracts/src/token-schema.ts`), as token-service reads the registry's tables
 * through `registry-schema.ts`. The registry calls the revoking one inside the transaction
 * that records its admin audit events, so families end if and only if their events exist.
 * - `token.active_refresh_families(owner_type, owner_id, after_created_at, after_id, max_rows)`:
 *   a client's (`client`, client_id) or an issuer's (`issuer`, its uuid) families that can
 *   still be used, oldest first, after the keyset cursor;
 * - `token.revoke_refresh_families(owner_type, owner_id, reason)`: ends them all, returning each.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

const ACTIVE = `f.revoked_at IS NULL AND f.expires_at > now()`;
const OWNED = `((owner_type = 'client' AND f.client_id = owner_id) OR (owner_type = 'issuer' AND f.issuer_id::text = owner_id))`;

export class CreateRefreshFamilyAdminFunctions1796330000003 implements MigrationInterface {
  name = 'CreateRefreshFamilyAdminFunctions1796330000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION token.active_refresh_families(owner_type text, owner_id text, after_created_at timestamptz, after_id uuid, max_rows integer)
      RETURNS TABLE (id uuid, client_id text, issuer_id uuid, issuer text, subject text, scopes text[], dpop_bound boolean,
                     created_at timestamptz, expires_at timestamptz, last_used_at timestamptz)
      LANGUAGE sql STABLE AS $$
        SELECT f.id, f.client_id, f.issuer_id, f.issuer, f.subject, f.scopes, f.dpop_jkt IS NOT NULL, f.created_at, f.expires_at, f.last_used_at
        FROM token.refresh_token_families f
        WHERE ${ACTIVE} AND ${OWNED}
          AND (after_created_at IS NULL OR (f.created_at, f.id) > (after_created_at, after_id))
        ORDER BY f.created_at, f.id
        LIMIT max_rows
      $$`);
    await runner.query(`
      CREATE FUNCTION token.revoke_refresh_families(owner_type text, owner_id text, reason text)
      RETURNS TABLE (id uuid, client_id text, issuer text, subject text)
      LANGUAGE sql VOLATILE AS $$
        UPDATE token.refresh_token_families f SET revoked_at = now(), revoked_reason = reason
        WHERE ${ACTIVE} AND ${OWNED}
        RETURNING f.id, f.client_id, f.issuer, f.subject
      $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP FUNCTION token.revoke_refresh_families(text, text, text)');
    await runner.query('DROP FUNCTION token.active_refresh_families(text, text, timestamptz, uuid, integer)');
  }
}
