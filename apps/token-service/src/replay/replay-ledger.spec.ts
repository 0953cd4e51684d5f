import { randomUUID } from 'node:crypto';
import { createRedis, waitForRedis } from '@trust-broker/service-kit/redis';
import { openTokenStores, type TokenStores } from '../../test/support/token-stores';
import type { TokenServiceConfig } from '../config/token-service.config';
import { ReplayGuardService } from './replay-guard.service';
import { givingBackOnFailure, ReplayLedger } from './replay-ledger';

describe('ReplayLedger (real Redis)', () => {
  let stores: TokenStores;
  let guard: ReplayGuardService;
  const inAMinute = () => Date.now() / 1000 + 60;
  const now = Date.now() / 1000;

  beforeAll(async () => {
    stores = await openTokenStores('ledger');
    guard = new ReplayGuardService(stores.redis, { redisPrefix: stores.prefix.prefix } as TokenServiceConfig, stores.dataSource);
  });

  afterAll(() => stores.close());

  it('gives back the jtis it marked, so they can be marked again', async () => {
    const ledger = new ReplayLedger(guard);
    const [grantJti, clientJti] = [randomUUID(), randomUUID()];
    expect(await ledger.markUsed('issuer:1', grantJti, inAMinute(), now)).toBe(true);
    expect(await ledger.markUsed('client:c', clientJti, inAMinute(), now)).toBe(true);
    expect(await guard.markUsed('issuer:1', grantJti, inAMinute(), now)).toBe(false);
    expect(await ledger.releaseAll()).toBe(2);
    expect(await guard.markUsed('issuer:1', grantJti, inAMinute(), now)).toBe(true);
    expect(await guard.markUsed('client:c', clientJti, inAMinute(), now)).toBe(true);
  });

  it('never gives back a jti that another request had marked', async () => {
    const jti = randomUUID();
    expect(await guard.markUsed('issuer:1', jti, inAMinute(), now)).toBe(true);
    const ledger = new ReplayLedger(guard);
    expect(await ledger.markUsed('issuer:1', jti, inAMinute(), now)).toBe(false);
    expect(await ledger.releaseAll()).toBe(0);
    expect(await guard.markUsed('issuer:1', jti, inAMinute(), now)).toBe(false);
  });

  it('keeps marks per namespace: the same jti of another party is not touched', async () => {
    const jti = randomUUID();
    expect(await guard.markUsed('issuer:2', jti, inAMinute(), now)).toBe(true);
    const ledger = new ReplayLedger(guard);
    expect(await ledger.markUsed('issuer:1', jti, inAMinute(), now)).toBe(true);
    await ledger.releaseAll();
    expect(await guard.markUsed('issuer:2', jti, inAMinute(), now)).toBe(false);
  });

  it('fails closed: when Redis does not take the delete, the jti stays used', async () => {
    const other = createRedis(stores.prefix.url, 'request');
    await waitForRedis(other);
    const failing = new ReplayGuardService(other, { redisPrefix: stores.prefix.prefix } as TokenServiceConfig, stores.dataSource);
    const ledger = new ReplayLedger(failing);
    const jti = randomUUID();
    expect(await ledger.markUsed('issuer:1', jti, inAMinute(), now)).toBe(true);
    other.disconnect();
    expect(await ledger.releaseAll()).toBe(0);
    expect(await guard.markUsed('issuer:1', jti, inAMinute(), now)).toBe(false);
  });

  it('givingBackOnFailure: steps that throw give their marks back and rethrow; steps that answer keep them', async () => {
    const [failedJti, answeredJti] = [randomUUID(), randomUUID()];
    const refusal = new Error('refused after the mark');
    await expect(
      givingBackOnFailure(guard, async (ledger) => {
        await ledger.markUsed('client:c', failedJti, inAMinute(), now);
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await guard.markUsed('client:c', failedJti, inAMinute(), now)).toBe(true);
    const answer = await givingBackOnFailure(guard, async (ledger) => {
      await ledger.markUsed('client:c', answeredJti, inAMinute(), now);
      return 'answered';
    });
    expect(answer).toBe('answered');
    expect(await guard.markUsed('client:c', answeredJti, inAMinute(), now)).toBe(false);
  });
});
