/**
 * Races (SECURITY.md "Replay"): the same assertion sent 200 times at once, split across
 * two token-service replicas that share Redis and Postgres, makes exactly one token.
 */
import { postForm } from '@trust-broker/testing';
import { clientAssertion, clientCredentialsForm, grantAssertion, grantForm, registerKeyClient, registerPartner, untilClientTrusted, untilPartnerTrusted } from './support/parties';
import { startSystem, type System } from './support/system';

const BROKER = 'https://broker.example.com';
const COPIES = 200;
let system: System;

beforeAll(async () => {
  system = await startSystem('race', { tokenServices: 2, tokenEnv: { BROKER_ISSUER: BROKER } });
});

afterAll(async () => {
  await system?.stop();
});

/** Sends `form` COPIES times at once, alternating between the two replicas. */
async function sendEverywhereAtOnce(form: Record<string, string>) {
  const [a, b] = system.tokens;
  const answers = await Promise.all(Array.from({ length: COPIES }, (_, i) => postForm((i % 2 === 0 ? a : b).tokenEndpoint, form)));
  return answers;
}

function tally(answers: { status: number; body: Record<string, unknown> }[]) {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = `${answer.status} ${String(answer.body.error ?? 'token')}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

it('a grant assertion: exactly one token, every other copy invalid_grant', async () => {
  const partner = await registerPartner(system.admin);
  for (const token of system.tokens) await untilPartnerTrusted(token.tokenEndpoint, BROKER, partner);
  const answers = await sendEverywhereAtOnce(grantForm(await grantAssertion(partner, BROKER)));
  expect(tally(answers)).toEqual({ '200 token': 1, '400 invalid_grant': COPIES - 1 });
});

it('a single-use client assertion: exactly one token, every other copy invalid_client', async () => {
  const client = await registerKeyClient(system.admin);
  for (const token of system.tokens) await untilClientTrusted(token.tokenEndpoint, BROKER, client);
  const answers = await sendEverywhereAtOnce(clientCredentialsForm(await clientAssertion(client, BROKER)));
  expect(tally(answers)).toEqual({ '200 token': 1, '401 invalid_client': COPIES - 1 });
});
