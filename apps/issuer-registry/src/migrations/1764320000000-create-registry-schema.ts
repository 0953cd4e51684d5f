/**
 * The registry schema: trusted issuers, clients, the keys held for each party, client
 * assertion revocations, and the transactional outbox. Column names are a contract with
 * token-service (packages/contracts/src/registry-schema.ts), which reads them with raw SQL.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRegistrySchema1764320000000 implements MigrationInterface {
  name = 'CreateRegistrySchema1764320000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE SCHEMA IF NOT EXISTS registry`);
    await runner.query(`
      CREATE TABLE registry.issuers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        issuer text NOT NULL,
        display_name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        expires_at timestamptz NULL,
        jwks jsonb NULL,
        jwks_uri text NULL,
        discovery boolean NOT NULL DEFAULT false,
        allowed_algorithms text[] NOT NULL,
        subjects text[] NOT NULL,
        condition text NULL,
        claim_mappings jsonb NULL,
        allowed_scopes text[] NOT NULL DEFAULT '{}',
        audiences text[] NOT NULL DEFAULT '{}',
        max_assertion_lifetime_s integer NOT NULL DEFAULT 300,
        clock_skew_s integer NOT NULL DEFAULT 30,
        require_jti boolean NOT NULL DEFAULT true,
        require_client_auth boolean NOT NULL DEFAULT false,
        allowed_client_ids text[] NOT NULL DEFAULT '{}',
        access_token_ttl_s integer NOT NULL DEFAULT 600,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT issuers_issuer_key UNIQUE (issuer),
        -- exactly one key source (CONTRACT.md)
        CONSTRAINT issuers_one_key_source CHECK (num_nonnulls(jwks, jwks_uri) + discovery::int = 1)
      )`);
    await runner.query(`CREATE INDEX issuers_page_idx ON registry.issuers (created_at, id)`);
    await runner.query(`
      CREATE TABLE registry.clients (
        client_id text PRIMARY KEY,
        client_name text NULL,
        token_endpoint_auth_method text NOT NULL CHECK (token_endpoint_auth_method IN
          ('private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'none')),
        jwks jsonb NULL,
        jwks_uri text NULL,
        token_endpoint_auth_signing_alg text NULL,
        grant_types text[] NOT NULL DEFAULT '{client_credentials}',
        scope text NOT NULL DEFAULT '',
        client_assertion_reuse boolean NOT NULL DEFAULT false,
        client_assertion_max_lifetime_s integer NOT NULL DEFAULT 300,
        access_token_ttl_s integer NOT NULL DEFAULT 600,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        secret_ciphertext text NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT clients_key_source CHECK (num_nonnulls(jwks, jwks_uri) <= 1)
      )`);
    await runner.query(`CREATE INDEX clients_page_idx ON registry.clients (created_at, client_id)`);
    await runner.query(`
      CREATE TABLE registry.party_keys (
        party_type text NOT NULL CHECK (party_type IN ('issuer', 'client')),
        party_id text NOT NULL,
        keys jsonb NOT NULL DEFAULT '{"keys": []}',
        source text NOT NULL CHECK (source IN ('inline', 'jwks_uri', 'discovery')),
        jwks_uri text NULL,
        fetched_at timestamptz NULL,
        etag text NULL,
        next_refresh_at timestamptz NULL,
        last_error text NULL,
        last_error_at timestamptz NULL,
        version integer NOT NULL DEFAULT 1,
        -- additions (not read by token-service): the configured source, the last attempt
        configured_uri text NULL,
        last_attempt_at timestamptz NULL,
        PRIMARY KEY (party_type, party_id)
      )`);
    await runner.query(`CREATE INDEX party_keys_due_idx ON registry.party_keys (next_refresh_at) WHERE source <> 'inline'`);
    await runner.query(`
      CREATE TABLE registry.assertion_revocations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id text NOT NULL REFERENCES registry.clients (client_id) ON DELETE CASCADE,
        jti text NULL,
        kid text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- addition: a monotonic number, the version of the trust-change message
        seq bigint GENERATED ALWAYS AS IDENTITY,
        CONSTRAINT assertion_revocations_one_target CHECK (num_nonnulls(jti, kid) = 1)
      )`);
    await runner.query(`CREATE UNIQUE INDEX assertion_revocations_jti_key ON registry.assertion_revocations (client_id, jti) WHERE jti IS NOT NULL`);
    await runner.query(`CREATE UNIQUE INDEX assertion_revocations_kid_key ON registry.assertion_revocations (client_id, kid) WHERE kid IS NOT NULL`);
    await runner.query(`
      CREATE TABLE registry.outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('trust_change', 'audit')),
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        last_error text NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS registry.outbox`);
    await runner.query(`DROP TABLE IF EXISTS registry.assertion_revocations`);
    await runner.query(`DROP TABLE IF EXISTS registry.party_keys`);
    await runner.query(`DROP TABLE IF EXISTS registry.clients`);
    await runner.query(`DROP TABLE IF EXISTS registry.issuers`);
  }
}
