/**
 * `registry.clients.introspection_audiences` (CONTRACT.md "Introspection", RFC 7662 §4):
 * the `aud` values of tokens a client may introspect besides its own. Existing clients get
 * the default, their own `client_id`; NULL (a row written by an older registry during a
 * rolling upgrade) is read as that default too.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddClientIntrospectionAudiences1796315686403 implements MigrationInterface {
  name = 'AddClientIntrospectionAudiences1796315686403';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.clients ADD COLUMN IF NOT EXISTS introspection_audiences text[] NULL`);
    await runner.query(`UPDATE registry.clients SET introspection_audiences = ARRAY[client_id] WHERE introspection_audiences IS NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE registry.clients DROP COLUMN IF EXISTS introspection_audiences`);
  }
}
