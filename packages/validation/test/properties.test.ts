/**
 * Property tests (fast-check): whatever arrives (random values, strings, bytes, headers
 * and claim sets signed with a real key), only AssertionError ever comes out of the
 * engine, never another exception; and nothing an attacker's key signed is accepted.
 */
import fc from 'fast-check';
import { AssertionError, MAX_ASSERTION_BYTES, readGrantAssertion, REASON_CODES, unverifiedClaims, verifyClientAssertion, verifyGrantAssertion, type VerifiedAssertion } from '../src/index';
import { BROKER, CLIENT_ID, clientContext, createParties, generateKeys, grantContext, ISSUER_A, MapReplayGuard, NOW, type Parties } from './support/fixtures';
import { base64url, signCompact } from './support/sign-compact';

let parties: Parties;
const RUNS = 300;
const REASONS = new Set<string>(REASON_CODES);
const OAUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'invalid_request', 'temporarily_unavailable']);

beforeAll(async () => {
  parties = await createParties(generateKeys());
});

type Verify = (assertion: unknown) => Promise<VerifiedAssertion>;

function verifiers(): [string, Verify][] {
  const guard = new MapReplayGuard(() => NOW);
  const grantCtx = grantContext([parties.issuerA, parties.issuerB], guard);
  const clientCtx = clientContext([parties.client, parties.secretClient], guard);
  return [
    ['grant', (assertion) => verifyGrantAssertion(assertion, grantCtx)],
    ['client', (assertion) => verifyClientAssertion(assertion, clientCtx)],
  ];
}

/** Resolves to the verified assertion, or to the AssertionError; any other exception fails the property. */
async function onlyAssertionErrors(verify: Verify, assertion: unknown): Promise<VerifiedAssertion | AssertionError> {
  try {
    return await verify(assertion);
  } catch (error) {
    if (!(error instanceof AssertionError)) throw new Error(`non-AssertionError escaped: ${String(error)}`);
    if (!REASONS.has(error.reason) || !OAUTH_ERRORS.has(error.error)) throw new Error(`unknown code ${error.error}/${error.reason}`);
    return error;
  }
}

const alg = fc.constantFrom('ES256', 'RS256', 'PS256', 'EdDSA', 'HS256', 'none', 'NONE', 'ES512', '', 'x');
const kid = fc.oneof(fc.constantFrom('ec-1', 'rsa-1', 'rsa-2', 'ed-1', 'c-1', 'b-1'), fc.string(), fc.integer());
const claimValue = fc.oneof(fc.jsonValue(), fc.constantFrom(ISSUER_A, CLIENT_ID, BROKER, 'alice', NOW, NOW + 60, NOW - 60));
const headerArb = fc.record(
  { alg: fc.oneof(alg, fc.jsonValue()), kid, typ: fc.oneof(fc.constantFrom('JWT', 'at+jwt'), fc.jsonValue()), crit: fc.jsonValue(), jwk: fc.jsonValue(), b64: fc.jsonValue() },
  { requiredKeys: ['alg'] },
);
const claimsArb = fc.record(
  { iss: claimValue, sub: claimValue, aud: fc.oneof(claimValue, fc.array(claimValue, { maxLength: 3 })), exp: claimValue, nbf: claimValue, iat: claimValue, jti: claimValue, extra: fc.jsonValue() },
  { requiredKeys: [] },
);

describe('only AssertionError ever comes out', () => {
  it.each(['grant', 'client'])('%s: any JavaScript value', async (kind) => {
    const verify = verifiers().find(([name]) => name === kind)?.[1] as Verify;
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (value) => {
        await onlyAssertionErrors(verify, value);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['grant', 'client'])('%s: any string, including full Unicode and huge ones', async (kind) => {
    const verify = verifiers().find(([name]) => name === kind)?.[1] as Verify;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('.', 'e', 'y', 'J', '-', '_', '=', '{') })), async (text) => {
        const outcome = await onlyAssertionErrors(verify, text);
        expect(outcome).toBeInstanceOf(AssertionError);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['grant', 'client'])('%s: random bytes in 1 to 6 base64url parts', async (kind) => {
    const verify = verifiers().find(([name]) => name === kind)?.[1] as Verify;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 6 }), async (parts) => {
        const outcome = await onlyAssertionErrors(verify, parts.map((bytes) => base64url(bytes)).join('.'));
        expect(outcome).toBeInstanceOf(AssertionError);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['grant', 'client'])('%s: random JSON texts as header and payload, signed', async (kind) => {
    const verify = verifiers().find(([name]) => name === kind)?.[1] as Verify;
    await fc.assert(
      fc.asyncProperty(fc.json(), fc.json(), async (header, payload) => {
        await onlyAssertionErrors(verify, signCompact('ES256', header, payload, parties.keys.ec.privateKey));
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['grant', 'client'])('%s: random headers and claim sets signed with a registered key', async (kind) => {
    const verify = verifiers().find(([name]) => name === kind)?.[1] as Verify;
    const keyByAlg = kind === 'grant'
      ? { ES256: parties.keys.ec.privateKey, RS256: parties.keys.rsa1.privateKey, PS256: parties.keys.rsa2.privateKey, EdDSA: parties.keys.ed.privateKey }
      : { ES256: parties.keys.clientEc.privateKey, EdDSA: parties.keys.clientEd.privateKey };
    await fc.assert(
      fc.asyncProperty(headerArb, claimsArb, async (header, claims) => {
        const algName = typeof header.alg === 'string' ? header.alg : 'ES256';
        const key = algName.startsWith('HS') ? parties.keys.secret : (keyByAlg as Record<string, import('node:crypto').KeyObject>)[algName] ?? parties.keys.ec.privateKey;
        const outcome = await onlyAssertionErrors(verify, signCompact(algName, JSON.stringify(header), JSON.stringify(claims), key));
        if (!(outcome instanceof AssertionError)) {
          // Whatever passed must satisfy the rules it was checked against.
          expect(typeof outcome.subject).toBe('string');
          expect(outcome.expiresAt + 30).toBeGreaterThan(NOW);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('a valid assertion stays valid whatever extra members it carries', () => {
  const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);
  const HEADER_RULED = new Set(['alg', 'kid', 'typ', 'crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c']);
  const extras = (reserved: Set<string>) => fc.dictionary(fc.string().filter((name) => !reserved.has(name)), fc.jsonValue(), { maxKeys: 6 });

  it('grant', async () => {
    const guard = new MapReplayGuard(() => NOW);
    const ctx = grantContext([parties.issuerA], guard);
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(extras(HEADER_RULED), extras(REGISTERED), fc.integer({ min: -29, max: 29 }), async (headerExtras, claimExtras, drift) => {
        const jti = `extra-${counter++}`;
        const claims = { ...claimExtras, iss: ISSUER_A, sub: 'alice', aud: [BROKER, 'https://rs.example'], iat: NOW + drift, exp: NOW + drift + 200, jti };
        const assertion = signCompact('ES256', JSON.stringify({ ...headerExtras, alg: 'ES256', kid: 'ec-1' }), JSON.stringify(claims), parties.keys.ec.privateKey);
        await expect(verifyGrantAssertion(assertion, ctx)).resolves.toMatchObject({ jti, subject: 'alice' });
      }),
      { numRuns: 150 },
    );
  });
});

describe("nothing signed by an unregistered key is accepted", () => {
  it.each(['grant', 'client'])('%s', async (kind) => {
    const verify = verifiers().find(([name]) => name === kind)?.[1] as Verify;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('ec-1', 'c-1', undefined), fc.string({ minLength: 1 }), async (kidValue, jti) => {
        const issuer = kind === 'grant' ? ISSUER_A : CLIENT_ID;
        const claims = { iss: issuer, sub: kind === 'grant' ? 'alice' : CLIENT_ID, aud: BROKER, iat: NOW, exp: NOW + 60, jti };
        const header = kidValue === undefined ? { alg: 'ES256' } : { alg: 'ES256', kid: kidValue };
        const outcome = await onlyAssertionErrors(verify, signCompact('ES256', JSON.stringify(header), JSON.stringify(claims), parties.keys.attacker.privateKey));
        expect(outcome).toBeInstanceOf(AssertionError);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a grant assertion read ahead (readGrantAssertion) is judged as the assertion itself', () => {
  /** The outcome, reduced to what a caller sees: the verified assertion, or the error's codes. */
  const judge = (verify: Promise<VerifiedAssertion>) =>
    verify.then(
      (verified) => ({ verified }),
      (error: AssertionError) => ({ error: error.error, reason: error.reason, kid: error.kid }),
    );

  it('random headers and claim sets signed with a registered key, and random strings', async () => {
    const direct = grantContext([parties.issuerA, parties.issuerB], new MapReplayGuard(() => NOW));
    const ahead = grantContext([parties.issuerA, parties.issuerB], new MapReplayGuard(() => NOW));
    const signed = fc.tuple(headerArb, claimsArb).map(([header, claims]) => signCompact(typeof header.alg === 'string' ? header.alg : 'ES256', JSON.stringify(header), JSON.stringify(claims), parties.keys.ec.privateKey));
    await fc.assert(
      fc.asyncProperty(fc.oneof(signed, fc.string(), fc.anything()), async (assertion) => {
        const reading = readGrantAssertion(assertion);
        const peek = typeof assertion === 'string' && assertion.length <= MAX_ASSERTION_BYTES ? unverifiedClaims(assertion) : undefined;
        expect(reading.unverifiedClaims).toEqual(peek);
        expect(await judge(verifyGrantAssertion(reading, ahead))).toEqual(await judge(verifyGrantAssertion(assertion, direct)));
      }),
      { numRuns: RUNS },
    );
  });
});
