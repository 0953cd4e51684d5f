/**
 * Faults (SECURITY.md "Dependencies fail"): a partner's JWKS endpoint goes down, turns
 * slow, oversized or answers garbage. Each forced refresh fails with its error shown in
 * GET /v1/issuers/{id}/jwks, the keys held before stay, and tokens keep being issued
 * with them. (Loopback partner: the registry runs with OUTBOUND_ALLOW_PRIVATE_NETWORKS.)
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { assertionClaims, generatePartyKey, jwksOf, JWT_BEARER_GRANT, signAssertion, type PartyKey, postForm } from '@trust-broker/testing';
import { untilPartnerTrusted } from './support/parties';
import { startSystem, type System } from './support/system';

type Mode = 'ok' | 'http-503' | 'reset' | 'slow' | 'oversized' | 'not-json' | 'bad-jwks';
let mode: Mode = 'ok';
let server: Server;
let system: System;
let key: PartyKey;
let issuerId: string;
const iss = `https://partner-${randomUUID()}.example.com`;

beforeAll(async () => {
  key = await generatePartyKey('ES256');
  server = createServer((request, response) => {
    switch (mode) {
      case 'ok':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwksOf(key)));
      case 'http-503':
        return void response.writeHead(503).end('down for maintenance');
      case 'reset':
        return void request.socket.destroy();
      case 'slow':
        return void setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwksOf(key))), 8000).unref();
      case 'oversized':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk], padding: 'x'.repeat(5 * 1024 * 1024) }));
      case 'not-json':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
      case 'bad-jwks':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: 'none' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  system = await startSystem('jwksfault', { registryEnv: { JWKS_FETCH_TIMEOUT_MS: '2000' } });
  const created = await system.admin.createIssuer({ issuer: iss, jwks_uri: `http://127.0.0.1:${port}/jwks`, subjects: ['*'] });
  issuerId = created.id;
  const token = system.tokens[0]!;
  await untilPartnerTrusted(token.tokenEndpoint, token.issuer, { iss, key, record: created });
});

afterAll(async () => {
  await system?.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function keyStatus() {
  const answer = await system.admin.request('GET', `/v1/issuers/${issuerId}/jwks`);
  expect(answer.status).toBe(200);
  return answer.body as { keys: { kid?: string }[]; last_error: string | null; source: string };
}

it.each<[Mode, RegExp]>([
  ['http-503', /503/],
  ['reset', /.+/],
  ['slow', /time|abort/i],
  ['oversized', /large|size|bytes|limit/i],
  ['not-json', /JSON/i],
  ['bad-jwks', /keys|JWKS/i],
])('%s: the error is shown, the held keys stay and still issue tokens', async (failure, error) => {
  mode = failure;
  await system.admin.request('POST', `/v1/issuers/${issuerId}/jwks/refresh`);
  const status = await keyStatus();
  expect(status.last_error).toMatch(error);
  expect(status.keys.map((k) => k.kid)).toEqual([key.kid]);
  const token = system.tokens[0]!;
  const answer = await postForm(token.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await signAssertion(key, assertionClaims({ iss, sub: 'alice', aud: token.issuer })) });
  expect({ status: answer.status, type: answer.body.token_type }).toEqual({ status: 200, type: 'Bearer' });
});

it('the error clears once the partner answers again', async () => {
  mode = 'ok';
  await system.admin.request('POST', `/v1/issuers/${issuerId}/jwks/refresh`);
  const status = await keyStatus();
  expect(status.last_error).toBeNull();
  expect(status.keys.map((k) => k.kid)).toEqual([key.kid]);
});
