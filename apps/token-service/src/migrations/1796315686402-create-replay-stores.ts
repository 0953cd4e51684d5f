/**
 * The Redis replay stores this deployment has initialised, one row per `REDIS_PREFIX`:
 * once a row exists, a replay store without its epoch keys has lost its records (a
 * FLUSHALL, a restart without AOF, a failover to an empty replica), not just started
 * (replay/replay-epochs.ts).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateReplayStores1796315686402 implements MigrationInterface {
  name = 'CreateReplayStores1796315686402';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE token.replay_stores (
        redis_prefix text PRIMARY KEY,
        initialised_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE token.replay_stores');
  }
}
