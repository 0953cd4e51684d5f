/**
 * CONTRACT.md `LOG_FORMAT`: a line logged while a request is served carries its `request_id`.
 * The real token service, LOG_FORMAT=json: a client assertion signed with a `kid` the
 * client's keys lack, when the key-refresh job cannot be enqueued (the queue's id counter,
 * in the test's own Redis prefix, is not a number: BullMQ's INCR fails), is refused, and
 * "key refresh ... not enqueued" names the request (its X-Request-Id); an introspection
 * that finds Redis without the revocations' sync marker names itself on the resync's line.
 * The same for a jwt-bearer grant and a token exchange whose issuer token has an unknown kid,
 * and for the replay store's loss line when a grant finds its bucket's epoch gone.
 */
import Redis from 'ioredis';
import { decodeJwt } from 'jose';
import { assertionClaims, basicAuthorization, CLIENT_ASSERTION_TYPE, eventually, generatePartyKey, JWT_BEARER_GRANT, jwksOf, postForm, signAssertion, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES, type PartyKey } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const broker = useBroker('reqlogs', { tokenServiceEnv: { LOG_FORMAT: 'json', LOG_LEVEL: 'info' } });

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function clientCredentials(clientAssertion: string, requestId: string): ReturnType<typeof postForm> {
  return postForm(
    broker.tokenEndpoint,
    { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion },
    { 'x-request-id': requestId },
  );
}

/** The line whose `msg` includes `text`, once the child's stdout (a pipe) has brought it. */
async function lineWith(text: string): Promise<Record<string, unknown>> {
  const find = (): Record<string, unknown> | undefined => jsonLines(broker.process.stdout()).find((line) => typeof line.msg === 'string' && line.msg.includes(text));
  await eventually(async () => find() !== undefined, 10_000, 50);
  return find()!;
}

/** Key refreshes cannot be enqueued: BullMQ's INCR of the queue's id counter fails. */
async function breakKeyRefreshQueue(): Promise<void> {
  const redis = new Redis(broker.env.redis.url);
  try {
    await redis.set(`${broker.env.redis.prefix}:key-refresh:id`, 'not-a-number');
  } finally {
    redis.disconnect();
  }
}

function grant(parameters: Record<string, string>, requestId: string): ReturnType<typeof postForm> {
  return postForm(broker.tokenEndpoint, parameters, { 'x-request-id': requestId });
}

describe('lines logged while serving a request', () => {
  it('an unknown kid whose key refresh is not enqueued: the line names the request', async () => {
    const key = await generatePartyKey('ES256', 'reqlogs-known');
    const client = await broker.admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), client_assertion_reuse: true });
    const claims = assertionClaims({ iss: client.client_id, sub: client.client_id, aud: broker.issuer });
    await eventually(async () => (await clientCredentials(await signAssertion(key, claims), 'reqlogs-warmup')).status === 200, 15_000, 200);

    const redis = new Redis(broker.env.redis.url);
    try {
      await redis.set(`${broker.env.redis.prefix}:key-refresh:id`, 'not-a-number');
    } finally {
      redis.disconnect();
    }
    const requestId = 'unknown-kid-7302';
    const unknownKey = await generatePartyKey('ES256', 'reqlogs-unknown');
    const answer = await clientCredentials(await signAssertion(unknownKey, claims), requestId);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });

    // The child's stdout arrives through a pipe, not necessarily before the answer.
    const notEnqueued = (): Record<string, unknown> | undefined =>
      jsonLines(broker.process.stdout()).find((line) => typeof line.msg === 'string' && line.msg.includes(`key refresh for client ${client.client_id} not enqueued`));
    await eventually(async () => notEnqueued() !== undefined, 10_000, 50);
    expect(notEnqueued()).toMatchObject({ level: 'warn', context: 'KeyRefreshService', request_id: requestId });
    // The request's own access line (written once the answer is out) carries the same id.
    const accessLine = (): Record<string, unknown> | undefined => jsonLines(broker.process.stdout()).find((line) => line.request_id === requestId && line.route === '/oauth2/token');
    await eventually(async () => accessLine() !== undefined, 10_000, 50);
    expect(accessLine()).toMatchObject({ status: 401 });
  });

  it('an introspection that sets off the revocation resync: its line names the request', async () => {
    const client = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'] });
    const authorization = { authorization: basicAuthorization(client.client_id, client.client_secret!) };
    let issued: { status: number; body: unknown } | undefined;
    await eventually(async () => (issued = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, authorization)).status === 200, 15_000, 200);
    const token = (issued!.body as { access_token: string }).access_token;
    expect((await postForm(`${broker.url}/oauth2/revoke`, { token }, authorization)).status).toBe(200);

    // Redis "lost" the revocations: the token's mark and the marker that says it holds them all.
    const redis = new Redis(broker.env.redis.url);
    try {
      const prefix = broker.env.redis.prefix;
      expect(await redis.del(`${prefix}:revoked:${decodeJwt(token).jti!}`, `${prefix}:revoked-sync`)).toBe(2);
    } finally {
      redis.disconnect();
    }
    const requestId = 'introspect-7303';
    const answer = await postForm(`${broker.url}/oauth2/introspect`, { token }, { ...authorization, 'x-request-id': requestId });
    expect(answer).toMatchObject({ status: 200, body: { active: false } });

    const restored = (): Record<string, unknown> | undefined =>
      jsonLines(broker.process.stdout()).find((line) => typeof line.msg === 'string' && /^restored \d+ revocations to Redis$/.test(line.msg));
    await eventually(async () => restored() !== undefined, 10_000, 50);
    expect(restored()).toMatchObject({ level: 'info', context: 'RevocationStore', request_id: requestId });
  });

  describe('issuer tokens', () => {
    const jwtBearerIssuer = 'https://reqlogs-bearer.example';
    const exchangeIssuer = 'https://reqlogs-exchange.example';
    let key: PartyKey;
    let bearerIssuerId: string;
    let exchangeIssuerId: string;
    const bearerAssertion = (signer: PartyKey): Promise<string> => signAssertion(signer, assertionClaims({ iss: jwtBearerIssuer, sub: 'alice', aud: broker.issuer }));
    const subjectToken = (signer: PartyKey): Promise<string> => signAssertion(signer, assertionClaims({ iss: exchangeIssuer, sub: 'alice', aud: 'reqlogs-sts' }));

    beforeAll(async () => {
      key = await generatePartyKey('ES256', 'reqlogs-issuer-known');
      bearerIssuerId = (await broker.admin.createIssuer({ issuer: jwtBearerIssuer, jwks: jwksOf(key), subjects: ['*'], max_assertion_lifetime_s: 3600 })).id;
      exchangeIssuerId = (await broker.admin.createIssuer({ issuer: exchangeIssuer, jwks: jwksOf(key), subjects: ['*'], accepted_audiences: ['reqlogs-sts'] })).id;
      await eventually(async () => (await grant({ grant_type: JWT_BEARER_GRANT, assertion: await bearerAssertion(key) }, 'reqlogs-warmup')).status === 200, 15_000, 200);
      const exchange = async (): Promise<boolean> =>
        (await grant({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: TOKEN_TYPES.jwt, subject_token: await subjectToken(key) }, 'reqlogs-warmup')).status === 200;
      await eventually(exchange, 15_000, 200);
    });

    it('a jwt-bearer assertion with an unknown kid whose key refresh is not enqueued: the line names the request', async () => {
      await breakKeyRefreshQueue();
      const requestId = 'bearer-unknown-kid-7304';
      const answer = await grant({ grant_type: JWT_BEARER_GRANT, assertion: await bearerAssertion(await generatePartyKey('ES256', 'reqlogs-issuer-unknown')) }, requestId);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_grant' });
      expect(await lineWith(`key refresh for issuer ${bearerIssuerId} not enqueued`)).toMatchObject({ level: 'warn', context: 'KeyRefreshService', request_id: requestId });
    });

    it('a token exchange whose subject token has an unknown kid, key refresh not enqueued: the line names the request', async () => {
      await breakKeyRefreshQueue();
      const requestId = 'exchange-unknown-kid-7305';
      const token = await subjectToken(await generatePartyKey('ES256', 'reqlogs-issuer-unknown-2'));
      const answer = await grant({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: TOKEN_TYPES.jwt, subject_token: token }, requestId);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request' });
      expect(await lineWith(`key refresh for issuer ${exchangeIssuerId} not enqueued`)).toMatchObject({ level: 'warn', context: 'KeyRefreshService', request_id: requestId });
    });

    it('a jwt-bearer grant that finds the replay store emptied: the loss line names the request', async () => {
      // Every bucket's epoch gone, in a store already initialised: the grant's bucket lost its marks.
      const redis = new Redis(broker.env.redis.url);
      try {
        const prefix = broker.env.redis.prefix;
        await redis.del(...Array.from({ length: 16 }, (_, bucket) => `${prefix}:{replay:${bucket}}:epoch`));
      } finally {
        redis.disconnect();
      }
      const requestId = 'replay-loss-7306';
      const answer = await grant({ grant_type: JWT_BEARER_GRANT, assertion: await bearerAssertion(key) }, requestId);
      expect(answer.status).not.toBe(200);
      expect(await lineWith('lost its marks')).toMatchObject({ level: 'error', context: 'ReplayEpochs', request_id: requestId });
    });
  });
});
