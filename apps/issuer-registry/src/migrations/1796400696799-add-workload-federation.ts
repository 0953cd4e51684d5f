/**
 * Workload identity federation (CONTRACT.md "Token exchange", "Federated client
 * authentication"): `registry.issuers.accepted_audiences`, the `aud` values accepted on an
 * issuer's tokens used as token-exchange subject or actor tokens and as federated client
 * assertions (NULL, for rows written before it, reads as the default `[BROKER_ISSUER]`);
 * `registry.clients.federated_credentials`, the `{issuer, subject}` pairs a `federated_jwt`
 * client authenticates with; and `federated_jwt` among the auth methods.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

const METHODS_BEFORE = `'private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'none'`;

export class AddWorkloadFederation1796400696799 implements MigrationInterface {
  name = 'AddWorkloadFederation1796400696799';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.issuers ADD COLUMN IF NOT EXISTS accepted_audiences text[] NULL`);
    await runner.query(`ALTER TABLE registry.clients ADD COLUMN IF NOT EXISTS federated_credentials jsonb NULL`);
    await runner.query(`ALTER TABLE registry.clients DROP CONSTRAINT IF EXISTS clients_token_endpoint_auth_method_check`);
    await runner.query(
      `ALTER TABLE registry.clients ADD CONSTRAINT clients_token_endpoint_auth_method_check
         CHECK (token_endpoint_auth_method IN (${METHODS_BEFORE}, 'federated_jwt'))`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DELETE FROM registry.clients WHERE token_endpoint_auth_method = 'federated_jwt'`);
    await runner.query(`ALTER TABLE registry.clients DROP CONSTRAINT IF EXISTS clients_token_endpoint_auth_method_check`);
    await runner.query(`ALTER TABLE registry.clients ADD CONSTRAINT clients_token_endpoint_auth_method_check CHECK (token_endpoint_auth_method IN (${METHODS_BEFORE}))`);
    await runner.query(`ALTER TABLE registry.clients DROP COLUMN IF EXISTS federated_credentials`);
    await runner.query(`ALTER TABLE registry.issuers DROP COLUMN IF EXISTS accepted_audiences`);
  }
}
