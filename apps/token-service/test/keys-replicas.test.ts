/**
 * The broker's signing keys across real processes: replicas share one key, a restart
 * keeps it (it decrypts with the same KEY_ENCRYPTION_KEY), a wrong KEK stops the start.
 */
import { randomKeyEncryptionKey, startNodeProcess } from '@trust-broker/testing';
import {
  startBrokerEnvironment,
  startTokenService,
  TOKEN_SERVICE_SCRIPT,
  type BrokerEnvironment,
  type TokenServiceInstance,
} from './support/broker-environment';

jest.setTimeout(180_000);

async function publishedKids(instance: TokenServiceInstance): Promise<string[]> {
  const response = await fetch(`${instance.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
  return jwks.keys.map((key) => key.kid as string);
}

describe('signing keys across token-service processes', () => {
  let environment: BrokerEnvironment;
  const instances: TokenServiceInstance[] = [];

  beforeAll(async () => {
    environment = await startBrokerEnvironment('keys_replicas');
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.process.stop()));
    await environment?.stop();
  });

  it('replicas starting together publish the same single key, and a restart keeps it', async () => {
    const [first, second] = await Promise.all([startTokenService(environment), startTokenService(environment)]);
    instances.push(first!, second!);
    const kids = await publishedKids(first!);
    expect(kids).toHaveLength(1);
    expect(await publishedKids(second!)).toEqual(kids);

    await first!.process.stop();
    const restarted = await startTokenService(environment);
    instances.push(restarted);
    expect(await publishedKids(restarted)).toEqual(kids);
  });

  it('a process whose KEY_ENCRYPTION_KEY does not decrypt the stored key refuses to start, with exit code 78 (no point restarting it)', async () => {
    const child = startNodeProcess(TOKEN_SERVICE_SCRIPT, {
      ...environment.sharedEnv,
      KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
      TOKEN_SERVICE_PORT: '0',
    });
    await new Promise<void>((resolve) => {
      if (child.child.exitCode !== null) resolve();
      else child.child.once('exit', () => resolve());
    });
    expect(child.child.exitCode).toBe(78);
    expect(child.output()).toMatch(/does not decrypt with this KEY_ENCRYPTION_KEY/);
    expect(child.output()).not.toContain(environment.keyEncryptionKey);
  });
});
