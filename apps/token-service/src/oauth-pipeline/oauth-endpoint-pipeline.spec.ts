/**
 * The endpoint pipeline's runner against the real audit streams (Redis) and the
 * real replay store (Redis, Postgres epochs): the endpoint is a table of fake named steps,
 * so what is checked is what the runner itself promises in its header.
 */
import { randomUUID } from 'node:crypto';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { AUDIT_STREAM_FIELD, auditStreamKeys, type AuditEvent } from '@trust-broker/contracts';
import { createDataSource, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createTestDatabase, createTestRedisPrefix, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';
import { AuditPublisher } from '../audit/audit-publisher.service';
import type { TokenServiceConfig } from '../config/token-service.config';
import { TOKEN_MIGRATIONS, TOKEN_SCHEMA } from '../migrations';
import { OAuthError, type OAuthErrorCode } from '../oauth/oauth-error';
import { ReplayGuardService } from '../replay/replay-guard.service';
import { ReplayStoreUnavailableError } from '../replay/replay.errors';
import type { EndpointContext, EndpointStep, OAuthEndpoint } from './endpoint.types';
import { OAuthEndpointPipeline } from './oauth-endpoint-pipeline';
import type { OAuthHttpRequest } from './oauth-http-request';
import { RejectedRequestAudit } from './rejected-request.audit';

interface FakeContext extends EndpointContext {
  ran?: string[];
}

/** What the runner told the endpoint: every count, and whether it was asked to withdraw. */
interface Calls {
  counted: (OAuthErrorCode | undefined)[];
  withdrawn: number;
}

function fakeEndpoint(steps: EndpointStep<FakeContext>[], calls: Calls): OAuthEndpoint<FakeContext, { ran: string[] | undefined }> {
  return {
    type: 'token',
    steps,
    answer: (context) => ({ ran: context.ran }),
    count: (_context, error) => void calls.counted.push(error),
    withdraw: async () => void (calls.withdrawn += 1),
  };
}

/** A named step that notes it ran. */
function stepNamed(name: string): EndpointStep<FakeContext> {
  return (context) => {
    context.ran = [...(context.ran ?? []), name];
  };
}

function failingWith(error: unknown): EndpointStep<FakeContext> {
  return () => {
    throw error;
  };
}

const request = (): OAuthHttpRequest => ({ id: randomUUID(), ip: '192.0.2.7', headers: {}, body: {} });
const inAMinute = () => Date.now() / 1000 + 60;

describe('OAuthEndpointPipeline (real audit streams and replay store)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let prefix: TestRedisPrefix;
  let redis: Redis;
  let reader: Redis;
  let publisher: AuditPublisher;
  let guard: ReplayGuardService;
  let pipeline: OAuthEndpointPipeline;
  let calls: Calls;

  beforeAll(async () => {
    database = await createTestDatabase('pipeline');
    dataSource = createDataSource({ url: database.url, schema: TOKEN_SCHEMA, migrations: TOKEN_MIGRATIONS });
    await runMigrationsWithLock(dataSource, TOKEN_SCHEMA);
    prefix = createTestRedisPrefix('pipeline');
    redis = new Redis(prefix.url, { maxRetriesPerRequest: 1 });
    reader = new Redis(prefix.url, { maxRetriesPerRequest: null });
    await redis.ping();
    const config = { redisPrefix: prefix.prefix } as TokenServiceConfig;
    publisher = new AuditPublisher(config, redis);
    guard = new ReplayGuardService(redis, config, dataSource);
    pipeline = new OAuthEndpointPipeline(publisher, guard, config);
  });

  afterAll(async () => {
    await publisher.onModuleDestroy();
    guard.onModuleDestroy();
    redis.disconnect();
    reader.disconnect();
    await prefix.clear();
    await dataSource.destroy();
    await database.drop();
  });

  beforeEach(async () => {
    calls = { counted: [], withdrawn: 0 };
    await reader.del(...auditStreamKeys(prefix.prefix));
  });

  /** Every audit event stored on the streams, whether an entry holds one or several. */
  async function auditedEvents(): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for (const key of auditStreamKeys(prefix.prefix)) {
      for (const [, fields] of (await reader.xrange(key, '-', '+')) as Array<[string, string[]]>) {
        events.push(...(JSON.parse(fields[fields.indexOf(AUDIT_STREAM_FIELD) + 1]!) as AuditEvent[]));
      }
    }
    return events;
  }

  async function rejection(promise: Promise<unknown>): Promise<OAuthError> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }

  it('runs the steps in order on one context, answers with what they built, counts a success and audits it before answering', async () => {
    const sent = request();
    const answer = await pipeline.handle(fakeEndpoint([stepNamed('readForm'), stepNamed('authenticateClient'), stepNamed('runGrant')], calls), sent);
    expect(answer).toEqual({ ran: ['readForm', 'authenticateClient', 'runGrant'] });
    expect(calls).toEqual({ counted: [undefined], withdrawn: 0 });
    // Already stored when the answer resolves: the event is enqueued before the answer.
    expect(await auditedEvents()).toEqual([expect.objectContaining({ type: 'token', outcome: 'success', reason: null, error: null, request_id: sent.id, remote_addr: '192.0.2.7' })]);
  });

  it('steps wait for the one before: an async step finishes before the next starts', async () => {
    const slow: EndpointStep<FakeContext> = async (context) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      context.ran = [...(context.ran ?? []), 'slow'];
    };
    expect(await pipeline.handle(fakeEndpoint([slow, stepNamed('next')], calls), request())).toEqual({ ran: ['slow', 'next'] });
  });

  it('a rejected step stops the request: later steps do not run, its OAuth error is answered as it is, counted, withdrawn and audited with what was known', async () => {
    const refused = new OAuthError('invalid_grant', 'the assertion has expired', 'assertion_expired');
    const noteClaimed: EndpointStep<FakeContext> = (context) => {
      context.audit.claimedClientId = 'claimed-client';
      context.audit.issuer = 'https://idp.example';
    };
    const later = jest.fn();
    const sent = request();
    const error = await rejection(pipeline.handle(fakeEndpoint([noteClaimed, failingWith(refused), later], calls), sent));
    expect(error).toBe(refused);
    expect(error.status).toBe(400);
    expect(later).not.toHaveBeenCalled();
    expect(calls).toEqual({ counted: ['invalid_grant'], withdrawn: 1 });
    expect(await auditedEvents()).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'assertion_expired', error: 'invalid_grant', client_id: 'claimed-client', issuer: 'https://idp.example', actor: 'anonymous', request_id: sent.id }),
    ]);
  });

  it('a domain error keeps its own status: invalid_client is 401 with its headers, never a 500', async () => {
    const refused = new OAuthError('invalid_client', 'client authentication failed', 'secret_mismatch', { 'WWW-Authenticate': 'Basic realm="trust-broker"' });
    const error = await rejection(pipeline.handle(fakeEndpoint([failingWith(refused)], calls), request()));
    expect([error.status, error.code, error.headers]).toEqual([401, 'invalid_client', { 'WWW-Authenticate': 'Basic realm="trust-broker"' }]);
    expect((await auditedEvents()).map((event) => [event.reason, event.error])).toEqual([['secret_mismatch', 'invalid_client']]);
  });

  it('a dependency that did not answer is 503 temporarily_unavailable with Retry-After, its reason audited', async () => {
    const error = await rejection(pipeline.handle(fakeEndpoint([failingWith(new ReplayStoreUnavailableError('connection closed'))], calls), request()));
    expect([error.status, error.code, error.reason, error.headers]).toEqual([503, 'temporarily_unavailable', 'replay_store_unavailable', { 'Retry-After': '1' }]);
    expect(calls.counted).toEqual(['temporarily_unavailable']);
    expect((await auditedEvents()).map((event) => [event.outcome, event.reason, event.error])).toEqual([['failure', 'replay_store_unavailable', 'temporarily_unavailable']]);
  });

  it('anything unexpected is logged with its stack and answered as a generic 500 that shows nothing internal, still audited', async () => {
    const logged = jest.spyOn(RequestLogger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const sent = request();
      const error = await rejection(pipeline.handle(fakeEndpoint([failingWith(new TypeError('secret-bearing internal detail'))], calls), sent));
      expect([error.status, error.code, error.description, error.reason]).toEqual([500, 'server_error', 'internal error', 'internal_error']);
      // Logged as a line of this request (its request_id).
      expect(logged).toHaveBeenCalledWith(sent, expect.stringContaining('TypeError: secret-bearing internal detail'));
      expect((await auditedEvents()).map((event) => [event.reason, event.error])).toEqual([['internal_error', 'server_error']]);
    } finally {
      logged.mockRestore();
    }
  });

  it('a failure in the answer itself goes through the same rejected-request hook', async () => {
    const tooLarge = new OAuthError('invalid_request', 'token too large', 'token_too_large');
    const endpoint = { ...fakeEndpoint([stepNamed('runGrant')], calls), answer: failingWith(tooLarge) as () => never };
    const error = await rejection(pipeline.handle(endpoint, request()));
    expect(error.reason).toBe('token_too_large');
    expect(calls).toEqual({ counted: ['invalid_request'], withdrawn: 1 });
    expect((await auditedEvents()).map((event) => event.reason)).toEqual(['token_too_large']);
  });

  it('a jti is used up only by a request that answered: a rejected one gives back what its steps recorded', async () => {
    const [givenBack, usedUp] = [randomUUID(), randomUUID()];
    const markJti = (jti: string): EndpointStep<FakeContext> => async (context) => {
      expect(await context.replayGuard.markUsed('client:c', jti, inAMinute(), Date.now() / 1000)).toBe(true);
    };
    await rejection(pipeline.handle(fakeEndpoint([markJti(givenBack), failingWith(new OAuthError('invalid_grant', 'no', 'assertion_expired'))], calls), request()));
    expect(await guard.markUsed('client:c', givenBack, inAMinute(), Date.now() / 1000)).toBe(true);
    await pipeline.handle(fakeEndpoint([markJti(usedUp)], calls), request());
    expect(await guard.markUsed('client:c', usedUp, inAMinute(), Date.now() / 1000)).toBe(false);
  });

  it('an audit event the queue does not take: 503, nothing answered, what the steps issued withdrawn and their jti given back', async () => {
    const downRedis = new Redis(prefix.url, { maxRetriesPerRequest: 1 });
    await downRedis.ping();
    downRedis.disconnect(); // the queue's connection is gone: the publisher refuses at once
    const downPublisher = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, downRedis);
    const downPipeline = new OAuthEndpointPipeline(downPublisher, guard, {});
    const jti = randomUUID();
    const issued: EndpointStep<FakeContext> = async (context) => {
      await context.replayGuard.markUsed('client:c', jti, inAMinute(), Date.now() / 1000);
      context.ran = ['issued'];
    };
    try {
      const error = await rejection(downPipeline.handle(fakeEndpoint([issued], calls), request()));
      expect([error.status, error.code, error.reason]).toEqual([503, 'temporarily_unavailable', 'audit_unavailable']);
      expect(calls).toEqual({ counted: ['temporarily_unavailable'], withdrawn: 1 });
      expect(await guard.markUsed('client:c', jti, inAMinute(), Date.now() / 1000)).toBe(true);
      expect(await auditedEvents()).toEqual([]);
    } finally {
      await downPublisher.onModuleDestroy();
    }
  });

  it('deferred marks are recorded with the success event at the end; one refused there fails the request as its rule would, withdrawn and audited, with no success event', async () => {
    const grantJti = randomUUID();
    const proofJti = randomUUID();
    const deferred = (jti: string): EndpointStep<FakeContext> => async (context) => {
      expect(await context.replayGuard.deferring('grant').markUsed('grant:i', jti, inAMinute(), Date.now() / 1000)).toBe(true);
      expect(await context.replayGuard.deferring('dpop').markUsed('dpop', proofJti, inAMinute(), Date.now() / 1000)).toBe(true);
      context.ran = ['issued'];
    };
    const first = request();
    expect(await pipeline.handle(fakeEndpoint([deferred(grantJti)], calls), first)).toEqual({ ran: ['issued'] });
    expect(await auditedEvents()).toEqual([expect.objectContaining({ outcome: 'success', request_id: first.id })]);
    expect(await guard.markUsed('grant:i', grantJti, inAMinute(), Date.now() / 1000)).toBe(false);

    // The same DPoP proof with a new grant assertion: the proof's own error, nothing of the grant kept.
    const other = randomUUID();
    const second = request();
    const error = await rejection(pipeline.handle(fakeEndpoint([deferred(other)], calls), second));
    expect([error.status, error.code, error.reason]).toEqual([400, 'invalid_dpop_proof', 'jti_replayed']);
    expect(calls).toEqual({ counted: [undefined, 'invalid_dpop_proof'], withdrawn: 1 });
    expect((await auditedEvents()).filter((event) => event.request_id === second.id).map((event) => [event.outcome, event.reason, event.error])).toEqual([
      ['failure', 'jti_replayed', 'invalid_dpop_proof'],
    ]);
    expect(await guard.markUsed('grant:i', other, inAMinute(), Date.now() / 1000)).toBe(true);
  });

  it('a refresh-token family ended by reuse adds its revocation event beside the failed request event', async () => {
    const reuse: EndpointStep<FakeContext> = (context) => {
      context.audit.refreshFamilyId = 'family-1';
      context.audit.refreshFamilyRevokedByReuse = true;
      throw new OAuthError('invalid_grant', 'the refresh token was already used', 'refresh_token_reused');
    };
    await rejection(pipeline.handle(fakeEndpoint([reuse], calls), request()));
    const events = await auditedEvents();
    expect(events.map((event) => [event.type, event.outcome, event.reason]).sort()).toEqual([
      ['revocation', 'success', 'refresh_token_reused'],
      ['token', 'failure', 'refresh_token_reused'],
    ]);
  });

  it('marks the request as audited, so the hook for requests refused before the pipeline does not audit it twice', async () => {
    let onResponse: ((request: { method: string; url: string; id: unknown; ip: string }, reply: { statusCode: number }) => Promise<void>) | undefined;
    const adapterHost = { httpAdapter: { getInstance: () => ({ addHook: (_name: string, hook: typeof onResponse) => void (onResponse = hook) }) } };
    new RejectedRequestAudit(adapterHost as never, publisher).onModuleInit();
    const sent = { ...request(), method: 'POST', url: '/oauth2/token' };
    await rejection(pipeline.handle(fakeEndpoint([failingWith(new OAuthError('invalid_request', 'bad', 'malformed_request'))], calls), sent));
    await onResponse!(sent, { statusCode: 400 });
    const unseen = { ...request(), method: 'POST', url: '/oauth2/token' };
    await onResponse!(unseen, { statusCode: 413 });
    const events = await auditedEvents();
    expect(events.map((event) => [event.request_id, event.reason]).sort()).toEqual(
      [
        [sent.id, 'malformed_request'],
        [unseen.id, 'body_too_large'],
      ].sort(),
    );
  });
});
