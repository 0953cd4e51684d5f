/**
 * Findings of the security review (issue 16), end to end on the built issuer-registry and
 * token-service, the real Postgres, Redis and BullMQ: each `describe` is one finding.
 */
import { randomUUID } from 'node:crypto';
import {
  assertionClaims,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  nowSeconds,
  postForm,
  signAssertion,
  type PartyKey,
  type TokenAnswer,
} from '@trust-broker/testing';
import { sha256Hex } from '@trust-broker/secrets';
import { AuditQueueReader } from './support/audit-queue';
import { startBrokerEnvironment, startTokenService, type BrokerEnvironment, type TokenServiceInstance } from './support/broker-environment';

jest.setTimeout(300_000);

const OPTIONAL_JTI_ISS = 'https://idp-optional-jti.example';
const STRICT_ISS = 'https://idp-strict-subjects.example';

let env: BrokerEnvironment;
let broker: TokenServiceInstance;
let audit: AuditQueueReader;
let issuerKey: PartyKey;

const sign = (iss: string, claims: Record<string, unknown> = {}) => signAssertion(issuerKey, assertionClaims({ iss, sub: 'alice', aud: broker.issuer }, claims));
const exchange = (assertion: string, headers: Record<string, string> = {}): Promise<TokenAnswer> =>
  postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion }, headers);

beforeAll(async () => {
  env = await startBrokerEnvironment('secreview');
  issuerKey = await generatePartyKey('ES256', 'review-key');
  await env.admin.createIssuer({ issuer: OPTIONAL_JTI_ISS, jwks: jwksOf(issuerKey), subjects: ['*'], require_jti: false });
  await env.admin.createIssuer({ issuer: STRICT_ISS, jwks: jwksOf(issuerKey), subjects: ['alice'] });
  broker = await startTokenService(env);
  audit = new AuditQueueReader(env.redis.url, env.redis.prefix);
});

afterAll(async () => {
  await audit?.close();
  await broker?.process.stop();
  await env?.stop();
});

describe('a grant jti that is present but not required is recorded (CONTRACT.md)', () => {
  it('the same assertion is refused the second time; assertions without jti stay reusable', async () => {
    const withJti = await sign(OPTIONAL_JTI_ISS, { jti: randomUUID() });
    expect((await exchange(withJti)).status).toBe(200);
    const again = await exchange(withJti);
    expect({ status: again.status, error: again.body.error, token: again.body.access_token }).toEqual({ status: 400, error: 'invalid_grant', token: undefined });
    const withoutJti = await sign(OPTIONAL_JTI_ISS, { jti: undefined });
    expect((await exchange(withoutJti)).status).toBe(200);
    expect((await exchange(withoutJti)).status).toBe(200);
  });

  it('a fractional exp is accepted and its jti single-use', async () => {
    const assertion = await sign(OPTIONAL_JTI_ISS, { jti: randomUUID(), exp: nowSeconds() + 60.5 });
    expect((await exchange(assertion)).status).toBe(200);
    expect((await exchange(assertion)).body.error).toBe('invalid_grant');
  });
});

describe('failure audit events keep what the verified assertion said (CONTRACT.md "Audit API")', () => {
  it('a grant refused for its subject records issuer, subject, kid and jti_hash', async () => {
    const jti = randomUUID();
    const requestId = randomUUID();
    const refused = await exchange(await sign(STRICT_ISS, { sub: 'mallory', jti }), { 'x-request-id': requestId });
    expect(refused.body.error).toBe('invalid_grant');
    const [event] = await eventually(async () => {
      const events = await audit.byRequestId(requestId);
      return events.length > 0 ? events : undefined;
    }, 10_000);
    expect(event).toMatchObject({
      outcome: 'failure',
      reason: 'subject_not_allowed',
      issuer: STRICT_ISS,
      subject: 'mallory',
      kid: 'review-key',
      jti_hash: sha256Hex(jti),
    });
  });

  it('an assertion whose signature does not verify records none of its claims as fact', async () => {
    const forger = await generatePartyKey('ES256', 'review-key');
    const requestId = randomUUID();
    const forged = await signAssertion(forger, assertionClaims({ iss: STRICT_ISS, sub: 'alice', aud: broker.issuer }, { jti: randomUUID() }));
    expect((await exchange(forged, { 'x-request-id': requestId })).body.error).toBe('invalid_grant');
    const [event] = await eventually(async () => {
      const events = await audit.byRequestId(requestId);
      return events.length > 0 ? events : undefined;
    }, 10_000);
    expect(event).toMatchObject({ outcome: 'failure', reason: 'signature_invalid', subject: null, kid: null, jti_hash: null });
  });
});
