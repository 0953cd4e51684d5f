/**
 * Fuzzing (SECURITY.md "Bad input"): fast-check sends random forms, repeated and huge
 * parameters, unicode, JWT-shaped garbage and random JSON to the running token endpoint
 * and admin API. Never a 5xx, the processes stay up, and their memory (RSS) stays flat.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT } from '@trust-broker/testing';
import { registerPartner } from './support/parties';
import { startSystem, type Service, type System } from './support/system';

let system: System;

beforeAll(async () => {
  system = await startSystem('fuzz');
  await registerPartner(system.admin);
});

afterAll(async () => {
  await system?.stop();
});

function rssBytes(service: Service): number {
  const status = readFileSync(`/proc/${service.process.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '%', '%00', '\u0000', '+', '&', '=', '..', '\u202e', '𝒜', 'null', '[]', '{}'),
);

/** Three base64url segments of random JSON or bytes: looks like a JWT, is not one. */
const jwtShaped = fc
  .tuple(
    fc.oneof(fc.jsonValue().map((v) => b64(JSON.stringify(v))), fc.record({ alg: fc.constantFrom('ES256', 'RS256', 'none', 'HS256', 'EdDSA'), kid: fc.option(text, { nil: undefined }) }).map((h) => b64(JSON.stringify(h))), fc.uint8Array({ maxLength: 64 }).map(b64)),
    fc.oneof(fc.jsonValue().map((v) => b64(JSON.stringify(v))), fc.uint8Array({ maxLength: 128 }).map(b64)),
    fc.uint8Array({ maxLength: 96 }).map(b64),
    fc.constantFrom(3, 2, 4, 5),
  )
  .map(([h, p, s, parts]) => [h, p, s, s, s].slice(0, parts).join('.'));

const huge = fc.tuple(fc.constantFrom('a', 'é', '%', '.', '€'), fc.integer({ min: 1_000, max: 200_000 })).map(([c, n]) => c.repeat(n));

const parameterName = fc.oneof(fc.constantFrom('grant_type', 'assertion', 'scope', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'resource', 'audience', 'token', 'token_type_hint'), text);
const parameterValue = fc.oneof(text, jwtShaped, huge, fc.constantFrom(JWT_BEARER_GRANT, CLIENT_ASSERTION_TYPE, 'client_credentials', 'password'));

/** A form with random pairs; names may repeat (duplicated parameters). */
const form = fc.array(fc.tuple(parameterName, parameterValue), { maxLength: 12 }).map((pairs) => new URLSearchParams(pairs).toString());

const rawBody = fc.oneof(form, text, fc.jsonValue().map((v) => JSON.stringify(v)), fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('latin1')));
const contentType = fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded;;;', undefined);
/** What an HTTP client can send as a header value at all (fetch refuses control characters). */
const isHeaderValue = (value: string) => /^[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/.test(value);
const authorization = fc.option(
  fc.oneof(
    fc.tuple(text, text).map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`),
    text.map((t) => `Basic ${t}`),
    jwtShaped.map((t) => `Bearer ${t}`),
    text,
  ).filter(isHeaderValue),
  { nil: undefined },
);

const tokenRequest = fc.record({
  path: fc.constantFrom('/oauth2/token', '/oauth2/token', '/oauth2/introspect', '/oauth2/revoke'),
  body: fc.oneof({ weight: 3, arbitrary: form }, { weight: 1, arbitrary: rawBody }),
  contentType,
  authorization,
});

const ISSUER_FIELDS = ['issuer', 'display_name', 'status', 'expires_at', 'jwks', 'jwks_uri', 'discovery', 'allowed_algorithms', 'subjects', 'condition', 'claim_mappings', 'allowed_scopes', 'audiences', 'max_assertion_lifetime_s', 'clock_skew_s', 'require_jti', 'require_client_auth', 'allowed_client_ids', 'access_token_ttl_s'];
const CLIENT_FIELDS = ['client_id', 'client_name', 'token_endpoint_auth_method', 'jwks', 'jwks_uri', 'token_endpoint_auth_signing_alg', 'grant_types', 'scope', 'client_assertion_reuse', 'client_assertion_max_lifetime_s', 'status'];
const jsonField = fc.oneof(fc.jsonValue({ maxDepth: 3 }), text, huge, fc.constantFrom('https://idp.example.com', '2030-01-01T00:00:00Z', ['*'], { keys: [] }, 'claims.sub == "x"', -1, 1e308, 2 ** 53));
const objectOf = (fields: string[]) => fc.dictionary(fc.oneof(fc.constantFrom(...fields), text), jsonField, { maxKeys: 12 }).map((o) => JSON.stringify(o));

const adminRequest = fc.record({
  route: fc.constantFrom(
    { method: 'POST', path: () => '/v1/issuers', fields: ISSUER_FIELDS },
    { method: 'PATCH', path: (id: string) => `/v1/issuers/${id}`, fields: ISSUER_FIELDS },
    { method: 'POST', path: () => '/v1/clients', fields: CLIENT_FIELDS },
    { method: 'PATCH', path: (id: string) => `/v1/clients/${id}`, fields: CLIENT_FIELDS },
    { method: 'POST', path: (id: string) => `/v1/clients/${id}/assertion-revocations`, fields: ['jti', 'kid'] },
    { method: 'GET', path: (id: string) => `/v1/issuers?limit=${id}&cursor=${id}`, fields: [] },
  ),
  id: fc.oneof(fc.uuid(), text.map(encodeURIComponent), fc.constant('%00'), fc.constant('..%2F..%2Fetc')),
  body: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: rawBody }, { weight: 4, arbitrary: fc.constant('fields') }),
  seed: fc.integer(),
});

const BODY_LIMIT = 1_048_576;

async function send(url: string, method: string, body: string | undefined, headers: Record<string, string>) {
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(body !== undefined && method !== 'GET' ? { body } : {}) });
  } catch (error) {
    // Over the limit the server answers 413 and closes while the client still writes (EPIPE): fine, if it is still up.
    if (body !== undefined && Buffer.byteLength(body) > BODY_LIMIT) return { status: 413, text: 'closed while the oversized body was sent' };
    throw error;
  }
  const text = await response.text();
  return { status: response.status, text };
}

/** What a failure report shows: the status, the answer, and the request with long values cut. */
function report(answer: { status: number; text: string }, request: unknown) {
  const cut = JSON.stringify(request, (_key, value: unknown) => (typeof value === 'string' && value.length > 200 ? `${value.slice(0, 200)}…(${value.length} chars)` : value));
  return `${answer.status} ${answer.text.slice(0, 300)} for ${cut}`;
}

async function expectUp(service: Service) {
  expect(service.process.child.exitCode).toBeNull();
  expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
}

/**
 * A generous bound: V8 grows its heap in steps under bodies of up to 1 MiB (measured: up to
 * +80 MiB, sometimes shrinking); keeping each request's body (up to 1 MiB) would pass it
 * within the 600 runs.
 */
const RSS_GROWTH_LIMIT = 160 * 1024 * 1024;

it('the token endpoints never answer 5xx, stay up, and keep their memory flat', async () => {
  const token = system.tokens[0];
  const run = (numRuns: number) =>
    fc.assert(
      fc.asyncProperty(tokenRequest, async (request) => {
        const headers: Record<string, string> = {};
        if (request.contentType) headers['content-type'] = request.contentType;
        if (request.authorization) headers.authorization = request.authorization;
        const answer = await send(`${token.url}${request.path}`, 'POST', request.body, headers);
        if (answer.status >= 500) throw new Error(report(answer, request));
      }),
      { numRuns },
    );
  await run(150);
  const before = rssBytes(token);
  await run(600);
  const after = rssBytes(token);
  console.log(`token-service RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB over 600 fuzzed requests`);
  expect(after - before).toBeLessThan(RSS_GROWTH_LIMIT);
  await expectUp(token);
});

it('the admin API never answers 5xx, stays up, and keeps its memory flat', async () => {
  const registry = system.registry;
  const auth = { authorization: `Bearer ${system.adminApiKey}` };
  const run = (numRuns: number) =>
    fc.assert(
      fc.asyncProperty(adminRequest, objectOf(ISSUER_FIELDS), objectOf(CLIENT_FIELDS), async (request, issuerBody, clientBody) => {
        const { route } = request;
        let body = request.body;
        if (body === 'fields') body = route.fields === ISSUER_FIELDS ? issuerBody : route.fields === CLIENT_FIELDS ? clientBody : JSON.stringify({ jti: request.id });
        const headers: Record<string, string> = { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
        const answer = await send(`${registry.url}${route.path(request.id)}`, route.method, body, headers);
        if (answer.status >= 500) throw new Error(report(answer, { method: route.method, path: route.path(request.id), body }));
      }),
      { numRuns },
    );
  await run(100);
  const before = rssBytes(registry);
  await run(400);
  const after = rssBytes(registry);
  console.log(`issuer-registry RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB over 400 fuzzed requests`);
  expect(after - before).toBeLessThan(RSS_GROWTH_LIMIT);
  await expectUp(registry);
});
