/**
 * TOKEN_SERVICE_WORKERS=2 as a real process tree: two cluster workers share the port and
 * issue tokens that verify with jose against the published JWKS, a killed worker is
 * replaced and the service keeps answering, SIGTERM stops the primary and every worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import {
  assertionClaims,
  eventually,
  generatePartyKey,
  getFreePort,
  jwksOf,
  JWT_BEARER_GRANT,
  signAssertion,
  startNodeProcess,
  type PartyKey,
  postForm,
} from '@trust-broker/testing';
import { startBrokerEnvironment, startTokenService, TOKEN_SERVICE_SCRIPT, type BrokerEnvironment, type TokenServiceInstance } from './support/broker-environment';

jest.setTimeout(180_000);

const ISS = 'https://idp.workers.example';

/** Pids of the live children of `pid` (the cluster workers). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return children.sort();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('token-service with TOKEN_SERVICE_WORKERS=2', () => {
  let environment: BrokerEnvironment;
  let service: TokenServiceInstance;
  let issuerKey: PartyKey;

  async function requestToken(): Promise<{ status: number; body: Record<string, unknown> }> {
    const assertion = await signAssertion(issuerKey, assertionClaims({ iss: ISS, sub: 'alice', aud: service.issuer }));
    return postForm(service.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion });
  }

  beforeAll(async () => {
    environment = await startBrokerEnvironment('workers');
    issuerKey = await generatePartyKey('ES256', 'workers-key-1');
    await environment.admin.createIssuer({ issuer: ISS, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read'] });
    service = await startTokenService(environment, { TOKEN_SERVICE_WORKERS: '2' });
  });

  afterAll(async () => {
    await service?.process.stop();
    await environment?.stop();
  });

  it('runs two workers whose tokens verify against the published keys', async () => {
    const primary = service.process.child.pid!;
    await eventually(async () => childPids(primary).length === 2, 60_000, 200);
    const jwks = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
    // Several requests on fresh connections, so both workers take some.
    for (let i = 0; i < 6; i += 1) {
      const answer = await eventually(async () => {
        const attempt = await requestToken();
        return attempt.status === 200 ? attempt : undefined;
      }, 30_000, 200);
      const { payload, protectedHeader } = await jwtVerify(answer.body.access_token as string, jwks, { issuer: service.issuer, typ: 'at+jwt' });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ sub: 'alice', idp: ISS, scope: 'read' });
    }
  });

  it('replaces a worker that dies and keeps answering', async () => {
    const primary = service.process.child.pid!;
    const before = childPids(primary);
    expect(before).toHaveLength(2);
    process.kill(before[0]!, 'SIGKILL');
    const after = await eventually(async () => {
      const now = childPids(primary);
      return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
    }, 60_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}\n${service.process.output()}`);
    });
    expect(after).toContain(before[1]);
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, 60_000, 200);
    expect((await requestToken()).status).toBe(200);
  });

  it('stops the primary and every worker on SIGTERM', async () => {
    const primary = service.process.child.pid!;
    const workers = childPids(primary);
    expect(workers).toHaveLength(2);
    await service.process.stop(60_000);
    expect(service.process.child.exitCode).toBe(0);
    await eventually(async () => workers.every((pid) => !isAlive(pid)), 30_000, 200);
    // Only the worker killed above was replaced: stopping does not start new ones.
    expect(service.process.output().match(/starting another/g) ?? []).toHaveLength(1);
  });

  it('stops with a failure, not a restart loop, when its workers cannot start (port taken)', async () => {
    const port = await getFreePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '0.0.0.0', resolve));
    try {
      const child = startNodeProcess(TOKEN_SERVICE_SCRIPT, {
        ...environment.sharedEnv,
        TOKEN_SERVICE_PORT: String(port),
        BROKER_ISSUER: `http://127.0.0.1:${port}`,
        TOKEN_SERVICE_WORKERS: '2',
      });
      await new Promise<void>((resolve) => {
        if (child.child.exitCode !== null) resolve();
        else child.child.once('exit', () => resolve());
      });
      expect(child.child.exitCode).toBe(1);
      expect(child.output()).toMatch(/before it listened; stopping/);
      expect(child.output()).not.toMatch(/starting another/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
