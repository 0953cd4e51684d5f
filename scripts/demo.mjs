#!/usr/bin/env node
/**
 * `npm run demo`: two organizations federate through the running broker, narrated.
 *
 *   1. Partner Org runs its own IdP (EC keys, JWKS, OIDC discovery) on 127.0.0.1.
 *   2. The broker's admin registers it as a trusted issuer, by discovery.
 *   3. The admin registers a confidential client (private_key_jwt) of Our Org.
 *   4. The partner signs an assertion for one of its users.
 *   5. The client exchanges it, authenticating with its own JWT in the same request.
 *   6. A replay of the same assertion is refused (single-use jti).
 *   7. The token is introspected, revoked, and introspected again (inactive).
 *   8. The partner rotates its key; the next exchange works with no admin step.
 *   9. A CI job of another organization trades its OIDC token for a broker token, with
 *      no secret anywhere (RFC 8693 token exchange).
 *  10. The audit trail of all this is shown and its hash chain verified.
 *
 * Where the broker is: env TRUST_BROKER_TOKEN_URL / TRUST_BROKER_REGISTRY_URL /
 * TRUST_BROKER_AUDIT_URL / TRUST_BROKER_ADMIN_KEY, else what `npm start` wrote under
 * .data/ (TB_DATA_DIR). The partner IdP is on loopback, so the broker must have been
 * started with `npm start -- --demo` (OUTBOUND_ALLOW_PRIVATE_NETWORKS=true).
 * `--summary <file>` writes what each step observed as JSON (the end-to-end test reads it).
 * `--keep` leaves the demo issuer and client enabled at the end.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import {
  AdminApi,
  ApiRequestError,
  introspectToken,
  mintAssertion,
  requestToken,
  resolveBrokerIssuer,
  revokeToken,
} from '@trust-broker/cli';
import { sleep, waitFor } from './lib/probes.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PARTNER_USER = 'alice@partner.example';
const API_AUDIENCE = 'https://orders.api.example';
const CI_WORKLOAD = 'repo:partner-org/orders-sync:ref:refs/heads/main';
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const KEY_FETCH_MIN_INTERVAL_MS = 10_500; // CONTRACT.md: kid-miss fetches at most once per party per 10 s

/**
 * A demo party's EC key: the private half, the public JWK, and its kid once withKid named it.
 * @typedef {{ privateKey: import('node:crypto').KeyObject, publicJwk: import('node:crypto').JsonWebKey, kid?: string }} DemoKey
 * @typedef {{ keys: DemoKey[], fetches: number, issuer: string, close: () => Promise<unknown> }} PartnerIdp
 * @typedef {{ token_url?: string, registry_url?: string, audit_url?: string, allow_private_networks?: boolean }} BrokerState what npm start wrote
 * @typedef {ReturnType<typeof brokerSettings>} BrokerSettings
 *
 * What the demo reads of the admin and audit APIs' answers:
 * @typedef {{ id: string }} IssuerView
 * @typedef {{ keys: { kid?: string }[], source: string, jwks_uri: string | null, last_error?: string | null }} IssuerKeysView
 * @typedef {{ client_id: string, token_endpoint_auth_method: string }} ClientView
 * @typedef {{ id: string, occurred_at: string, type: string, action?: string | null, outcome: string, reason?: string | null,
 *   subject?: string | null, kid?: string | null, actor?: string | null }} AuditEventView
 * @typedef {{ items: AuditEventView[] }} AuditEventsPage
 * @typedef {{ intact: boolean, checked: number, broken_at?: string, reason?: string }} ChainVerification
 */

const short = (/** @type {unknown} */ value) => (typeof value === 'string' && value.length > 28 ? `${value.slice(0, 24)}…(${value.length} chars)` : value);

// ---------------------------------------------------------------- narration

let stepNumber = 0;
/** @type {{ steps: Record<string, Record<string, unknown>> }} */
const summary = { steps: {} };
/** @param {string} title */
function step(title) {
  stepNumber += 1;
  process.stdout.write(`\n[${stepNumber}] ${title}\n`);
}
/** @param {string} text */
function say(text) {
  process.stdout.write(`    ${text.split('\n').join('\n    ')}\n`);
}
/**
 * @param {string} key
 * @param {string} text
 * @param {Record<string, unknown>} observed
 */
function ok(key, text, observed) {
  process.stdout.write(`    ✔ ${text}\n`);
  summary.steps[key] = { ok: true, ...observed };
}

// ---------------------------------------------------------------- settings

/**
 * @param {string} file
 * @returns {Record<string, unknown>}
 */
function readJsonIfPresent(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ keep: boolean, summary: string | undefined }} */
  const args = { keep: false, summary: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--keep') args.keep = true;
    else if (argv[i] === '--summary') args.summary = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (known: --keep, --summary <file>)`);
  }
  return args;
}

/** @param {NodeJS.ProcessEnv} env */
function brokerSettings(env) {
  const dataDir = resolve(env.TB_DATA_DIR || join(ROOT, '.data'));
  const state = /** @type {BrokerState} */ (readJsonIfPresent(join(dataDir, 'broker.json')));
  const secrets = readJsonIfPresent(join(dataDir, 'local-secrets.json'));
  const settings = {
    tokenUrl: env.TRUST_BROKER_TOKEN_URL || state.token_url || 'http://localhost:8080/oauth2/token',
    registryUrl: env.TRUST_BROKER_REGISTRY_URL || state.registry_url || 'http://localhost:8081',
    auditUrl: env.TRUST_BROKER_AUDIT_URL || state.audit_url || 'http://localhost:8082',
    adminKey: env.TRUST_BROKER_ADMIN_KEY || env.ADMIN_API_KEY || /** @type {string | undefined} */ (secrets.ADMIN_API_KEY),
    allowPrivateNetworks: state.allow_private_networks,
  };
  if (!settings.adminKey) throw new Error('no admin key: start the broker with `npm start -- --demo` first, or set TRUST_BROKER_ADMIN_KEY');
  return settings;
}

// ---------------------------------------------------------------- partner IdP

/** @returns {DemoKey} */
function newSigningKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' } };
}

/** @param {DemoKey} key */
async function withKid(key) {
  key.kid = await calculateJwkThumbprint(key.publicJwk);
  key.publicJwk.kid = key.kid;
  return key;
}

/** A minimal OIDC IdP: a discovery document and a JWKS that can be rotated. */
async function startPartnerIdp() {
  /** @type {PartnerIdp} */
  const idp = { keys: [], fetches: 0, issuer: '', close: async () => undefined };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '', 'http://idp').pathname;
    /** @type {object | undefined} */
    let body;
    if (path === '/.well-known/openid-configuration') {
      body = { issuer: idp.issuer, jwks_uri: `${idp.issuer}/jwks.json`, id_token_signing_alg_values_supported: ['ES256'] };
    } else if (path === '/jwks.json') {
      idp.fetches += 1;
      body = { keys: idp.keys.map((key) => key.publicJwk) };
    }
    response.writeHead(body ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    response.end(JSON.stringify(body ?? { error: 'not_found' }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  idp.issuer = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  idp.close = () => new Promise((r) => server.close(r));
  return idp;
}

// ---------------------------------------------------------------- steps

/**
 * waitFor, except that a check that throws is tried again (an admin change reaches
 * token-service within seconds); when time runs out, the last error is named.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} check
 * @param {number} timeoutMs
 * @param {number} [stepMs]
 * @returns {Promise<NonNullable<T>>}
 */
async function eventually(what, check, timeoutMs, stepMs = 250) {
  /** @type {Error | undefined} */
  let lastError;
  const attempt = () =>
    check().catch((error) => {
      lastError = error;
      return undefined;
    });
  return waitFor(what, attempt, timeoutMs, stepMs).catch((timeout) => {
    throw new Error(`${timeout.message}${lastError ? ` (last: ${lastError.message})` : ''}`);
  });
}

/**
 * @param {Error & { fromServer?: boolean }} error
 * @param {BrokerSettings} settings
 */
function explainRefusal(error, settings) {
  const text = `${error.message}`;
  const fromServer = error instanceof ApiRequestError || error.fromServer === true;
  if (fromServer && settings.allowPrivateNetworks !== true) {
    return `${text}\n    The partner IdP of this demo runs on http://127.0.0.1, which the registry refuses unless the broker allows private networks.\n    Restart the broker with:  npm start -- --demo   (or TB_DEMO=1 npm start), then run npm run demo again.`;
  }
  return text;
}

/**
 * Fails early, with what to do, when a service of the broker does not answer.
 * @param {BrokerSettings} settings
 */
async function checkBrokerAnswers(settings) {
  for (const [name, base] of [['token-service', new URL(settings.tokenUrl).origin], ['issuer-registry', settings.registryUrl], ['audit-worker', settings.auditUrl]]) {
    const status = await fetch(new URL('/readyz', base), { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
    if (status !== 200) {
      throw new Error(`${name} at ${base} is not ready (${status === 0 ? 'no answer' : `HTTP ${status}`}). Start the broker first:  npm start -- --demo`);
    }
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const settings = brokerSettings(process.env);
  const registry = new AdminApi(settings.registryUrl, settings.adminKey);
  const audit = new AdminApi(settings.auditUrl, settings.adminKey);
  await checkBrokerAnswers(settings);
  if (settings.allowPrivateNetworks === false) {
    throw new Error(
      'the running broker was started without --demo, so its registry refuses to fetch keys from 127.0.0.1 where the partner IdP of this demo runs.\n' +
        'Stop it (Ctrl-C) and start it with:  npm start -- --demo   (or TB_DEMO=1 npm start), then run npm run demo again.',
    );
  }
  const brokerIssuer = await resolveBrokerIssuer(settings.tokenUrl);
  const runId = randomBytes(3).toString('hex');
  const startedAt = new Date(Date.now() - 1000).toISOString();
  process.stdout.write(`Trust Broker federation demo (run ${runId})\n  broker issuer ${brokerIssuer}\n  token endpoint ${settings.tokenUrl}\n`);

  step('Partner Org starts its IdP: its own EC key, a JWKS and an OIDC discovery document');
  const idp = await startPartnerIdp();
  const firstKey = await withKid(newSigningKey());
  idp.keys = [firstKey];
  say(`issuer ${idp.issuer}\ndiscovery ${idp.issuer}/.well-known/openid-configuration\nkey ${firstKey.kid} (ES256)`);
  ok('partner_idp', 'partner IdP is up', { issuer: idp.issuer, kid: firstKey.kid });

  /** @type {IssuerView | undefined} */
  let issuer;
  /** @type {ClientView | undefined} */
  let client;
  /** @type {IssuerView | undefined} */
  let ciIssuer;
  try {
    step("Our broker's admin registers the partner as a trusted issuer, by discovery");
    const clientId = `orders-app-${runId}`;
    /** @type {IssuerView} */
    let registered;
    try {
      registered = await registry.call('POST', '/v1/issuers', {
        json: {
          issuer: idp.issuer,
          display_name: `Partner Org IdP (demo ${runId})`,
          discovery: true,
          subjects: [PARTNER_USER],
          allowed_scopes: ['orders:read', 'orders:write'],
          audiences: [API_AUDIENCE],
          require_client_auth: true,
          allowed_client_ids: [clientId],
          max_assertion_lifetime_s: 300,
        },
      });
    } catch (error) {
      throw new Error(explainRefusal(/** @type {Error} */ (error), settings));
    }
    issuer = registered;
    say(`POST /v1/issuers -> id ${registered.id}; accepts sub ${PARTNER_USER}, scopes orders:read orders:write, only via client ${clientId}`);
    const keys = await eventually(
      'the registry fetching the partner keys',
      async () => {
        /** @type {IssuerKeysView} */
        const view = await registry.call('GET', `/v1/issuers/${registered.id}/jwks`);
        if (view.last_error) throw new Error(explainRefusal(Object.assign(new Error(view.last_error), { fromServer: true }), settings));
        return view.keys?.some((key) => key.kid === firstKey.kid) ? view : undefined;
      },
      20_000,
    );
    let lastKeyFetch = Date.now();
    say(`keys held: ${keys.keys.map((key) => key.kid).join(', ')} (source ${keys.source}, from ${keys.jwks_uri})`);
    ok('issuer_registered', 'trusted issuer registered; its keys were found through discovery', { id: registered.id, source: keys.source, kids: keys.keys.map((key) => key.kid) });

    step('The admin registers a confidential client of Our Org that authenticates with private_key_jwt');
    const clientKey = await withKid(newSigningKey());
    /** @type {ClientView} */
    const registeredClient = await registry.call('POST', '/v1/clients', {
      json: {
        client_id: clientId,
        client_name: `Orders app (demo ${runId})`,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [clientKey.publicJwk] },
        grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
        scope: 'orders:read orders:write',
      },
    });
    client = registeredClient;
    say(`POST /v1/clients -> ${registeredClient.client_id} (no shared secret: it proves itself with key ${clientKey.kid})`);
    ok('client_registered', 'client registered', { client_id: registeredClient.client_id, method: registeredClient.token_endpoint_auth_method });
    /** @type {import('@trust-broker/cli').ClientAuthentication} */
    const clientAuth = { method: 'private_key_jwt', clientId, signingKey: { key: clientKey.privateKey, alg: 'ES256', kid: clientKey.kid }, audience: brokerIssuer };

    const partnerAssertion = (/** @type {DemoKey} */ key) =>
      mintAssertion({ key: key.privateKey, alg: 'ES256', kid: key.kid, iss: idp.issuer, sub: PARTNER_USER, aud: brokerIssuer, lifetimeSeconds: 120, extraClaims: { email: PARTNER_USER } });

    step(`Partner Org signs an assertion (RFC 7523 §2.1) for its user ${PARTNER_USER}`);
    let minted = await partnerAssertion(firstKey);
    say(`iss ${minted.claims.iss}\nsub ${minted.claims.sub}\naud ${minted.claims.aud}\nexp in 120 s, jti ${minted.claims.jti}, kid ${firstKey.kid}\nassertion ${short(minted.assertion)}`);
    ok('assertion_signed', 'assertion signed with the partner key', { jti: minted.claims.jti });

    step('The client exchanges it at the token endpoint, authenticating with its own JWT in the same request');
    /** @type {import('@trust-broker/cli').GrantRequest} */
    const grant = { grantType: 'jwt-bearer', scope: 'orders:read', resource: API_AUDIENCE };
    // An admin change reaches token-service within 2 s: retry briefly with fresh assertions.
    let usedAssertion = minted.assertion;
    const token = await eventually(
      'the token exchange',
      async () => {
        try {
          return await requestToken(settings.tokenUrl, { ...grant, assertion: usedAssertion }, clientAuth);
        } catch (error) {
          if (!(error instanceof ApiRequestError) || error.status >= 500) throw error;
          minted = await partnerAssertion(firstKey);
          usedAssertion = minted.assertion;
          throw error;
        }
      },
      10_000,
      500,
    );
    const claims = decodeJwt(token.access_token);
    say(`POST /oauth2/token grant_type=jwt-bearer + client_assertion (private_key_jwt)\naccess token ${short(token.access_token)} (${token.token_type}, ${token.expires_in} s, scope "${token.scope}")\nits claims: iss ${claims.iss}, sub ${claims.sub}, aud ${JSON.stringify(claims.aud)}, client_id ${claims.client_id}, idp ${claims.idp}`);
    ok('token_issued', 'access token issued for the partner user to our client', { sub: claims.sub, client_id: claims.client_id, idp: claims.idp, scope: token.scope, aud: claims.aud });

    step('Someone replays the same assertion: refused, its jti was used once already');
    try {
      await requestToken(settings.tokenUrl, { ...grant, assertion: usedAssertion }, clientAuth);
      throw new Error('the replayed assertion was accepted');
    } catch (error) {
      if (!(error instanceof ApiRequestError)) throw error;
      say(`HTTP ${error.status} ${error.error}: ${error.description ?? ''}`);
      ok('replay_refused', 'replay refused', { status: error.status, error: error.error });
    }

    step('The client introspects the token (RFC 7662), revokes it (RFC 7009), and introspects again');
    const active = await introspectToken(settings.tokenUrl, token.access_token, clientAuth);
    say(`introspection: active ${active.active}, sub ${active.sub}, scope "${active.scope}", client_id ${active.client_id}`);
    await revokeToken(settings.tokenUrl, token.access_token, clientAuth);
    say('revocation: done');
    const inactive = await introspectToken(settings.tokenUrl, token.access_token, clientAuth);
    say(`introspection after revocation: active ${inactive.active}`);
    if (active.active !== true || inactive.active !== false) throw new Error(`introspection answered active=${active.active}, then ${inactive.active}`);
    ok('introspect_revoke', 'active before revocation, inactive after', { before: active.active, after: inactive.active });

    step('Partner Org rotates its signing key; no admin step on our side');
    const secondKey = await withKid(newSigningKey());
    idp.keys = [secondKey];
    say(`the partner now publishes only key ${secondKey.kid}; the old key ${firstKey.kid} is gone`);
    const wait = lastKeyFetch + KEY_FETCH_MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      say(`(waiting ${Math.ceil(wait / 1000)} s: the registry fetches one party's keys at most once per 10 s)`);
      await sleep(wait);
    }
    const fetchesBefore = idp.fetches;
    const rotated = await partnerAssertion(secondKey);
    say(`new assertion signed with ${secondKey.kid}: token-service misses that kid, the registry refetches the JWKS, the exchange goes on`);
    const afterRotation = await eventually(
      'an exchange with the rotated key',
      async () => requestToken(settings.tokenUrl, { ...grant, assertion: rotated.assertion }, clientAuth),
      15_000,
      1000,
    ).catch(async (error) => {
      // A first attempt may have lost the race with the rate limit; one more after it.
      await sleep(KEY_FETCH_MIN_INTERVAL_MS);
      const again = await partnerAssertion(secondKey);
      return requestToken(settings.tokenUrl, { ...grant, assertion: again.assertion }, clientAuth).catch(() => {
        throw error;
      });
    });
    lastKeyFetch = Date.now();
    /** @type {IssuerKeysView} */
    const keysAfter = await registry.call('GET', `/v1/issuers/${registered.id}/jwks`);
    say(`token issued: sub ${decodeJwt(afterRotation.access_token).sub}; the partner JWKS was fetched ${idp.fetches - fetchesBefore} more time(s); keys held now: ${keysAfter.keys.map((key) => key.kid).join(', ')}`);
    ok('rotation', 'exchange after key rotation worked without any admin change', { kids: keysAfter.keys.map((key) => key.kid), fetches: idp.fetches - fetchesBefore });

    step('A CI job from another organization gets a token with no secret (RFC 8693 token exchange)');
    const ciKey = await withKid(newSigningKey());
    const ciIss = `https://ci.partner.example/demo-${runId}`;
    ciIssuer = await registry.call('POST', '/v1/issuers', {
      json: {
        issuer: ciIss,
        display_name: `Partner Org CI (demo ${runId})`,
        jwks: { keys: [ciKey.publicJwk] },
        subjects: [CI_WORKLOAD],
        condition: "claims.repository_owner == 'partner-org' && claims.ref == 'refs/heads/main'",
        allowed_scopes: ['orders:read'],
        audiences: [API_AUDIENCE],
        accepted_audiences: [brokerIssuer],
      },
    });
    say(`POST /v1/issuers -> the partner's CI platform (${ciIss}): accepts sub ${CI_WORKLOAD}, tokens minted for aud ${brokerIssuer}; no client, no secret`);
    const ciJobToken = await mintAssertion({
      key: ciKey.privateKey,
      alg: 'ES256',
      kid: ciKey.kid,
      iss: ciIss,
      sub: CI_WORKLOAD,
      aud: brokerIssuer,
      lifetimeSeconds: 300,
      extraClaims: { repository: 'partner-org/orders-sync', repository_owner: 'partner-org', ref: 'refs/heads/main', workflow: 'nightly sync' },
    });
    say(`the CI job's OIDC token (GitHub Actions shape): sub ${CI_WORKLOAD}, repository_owner partner-org, ${short(ciJobToken.assertion)}`);
    const exchanged = await eventually(
      'the token exchange of the CI job',
      async () => requestToken(settings.tokenUrl, { grantType: 'token-exchange', subjectToken: ciJobToken.assertion, scope: 'orders:read' }, { method: 'none' }),
      10_000,
      500,
    );
    const exchangedClaims = decodeJwt(exchanged.access_token);
    say(`POST /oauth2/token grant_type=${TOKEN_EXCHANGE_GRANT}, subject_token=<the CI token>, no client authentication\nissued_token_type ${exchanged.issued_token_type}\nits claims: sub ${exchangedClaims.sub}, idp ${exchangedClaims.idp}, aud ${JSON.stringify(exchangedClaims.aud)}, scope "${exchangedClaims.scope}"`);
    ok('ci_token_exchange', 'the CI job holds a broker token and never held a secret', {
      sub: exchangedClaims.sub,
      idp: exchangedClaims.idp,
      scope: exchanged.scope,
      issued_token_type: exchanged.issued_token_type,
      client_id: exchangedClaims.client_id ?? null,
    });

    step('The audit trail of all this, then its hash chain verified');
    const events = await eventually(
      'the audit events of this run',
      async () => {
        /** @type {AuditEventsPage} */
        const byClient = await audit.call('GET', '/v1/audit/events', { query: { client_id: clientId, since: startedAt, limit: 100 } });
        /** @type {AuditEventsPage} */
        const byIssuer = await audit.call('GET', '/v1/audit/events', { query: { issuer: idp.issuer, since: startedAt, limit: 100 } });
        const merged = new Map([...byIssuer.items, ...byClient.items].map((event) => [event.id, event]));
        const items = [...merged.values()].sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : -1));
        const tokenEvents = items.filter((event) => event.type === 'token');
        return tokenEvents.length >= 3 && items.some((event) => event.type === 'revocation') ? items : undefined;
      },
      20_000,
      500,
    );
    for (const event of [...events].reverse()) {
      const who = event.type === 'admin' ? `by ${event.actor}` : `sub=${event.subject ?? '-'}${event.kid ? ` kid=${event.kid}` : ''}`;
      say(`${event.occurred_at}  ${event.type.padEnd(13)} ${(event.action ?? '').padEnd(14)} ${event.outcome.padEnd(7)} ${(event.reason ?? '').padEnd(13)} ${who}`);
    }
    /** @type {ChainVerification} */
    const verification = await audit.call('GET', '/v1/audit/verify');
    say(`chain: intact ${verification.intact}, ${verification.checked} events checked`);
    if (!verification.intact) throw new Error(`audit chain broken at ${verification.broken_at}: ${verification.reason}`);
    /** @type {Record<string, number>} */
    const counts = {};
    for (const event of events) counts[`${event.type}:${event.outcome}`] = (counts[`${event.type}:${event.outcome}`] ?? 0) + 1;
    ok('audit', 'audit trail shown; hash chain intact', { counts, intact: verification.intact, checked: verification.checked });
  } finally {
    if (!args.keep) {
      // The partner IdP stops with the demo: stop trusting it too.
      if (issuer) await registry.call('PATCH', `/v1/issuers/${issuer.id}`, { json: { status: 'disabled' } }).catch(() => {});
      if (client) await registry.call('PATCH', `/v1/clients/${client.client_id}`, { json: { status: 'disabled' } }).catch(() => {});
      if (ciIssuer) await registry.call('PATCH', `/v1/issuers/${ciIssuer.id}`, { json: { status: 'disabled' } }).catch(() => {});
    }
    await idp.close();
    if (args.summary) writeFileSync(args.summary, `${JSON.stringify(summary, null, 2)}\n`);
  }
  process.stdout.write(`\nDemo complete: ${Object.keys(summary.steps).length} steps ok.${args.keep ? '' : ' (demo issuer and client disabled again; --keep leaves them)'}\n`);
}

main().catch((error) => {
  process.stderr.write(`\ndemo failed: ${error.message}\n`);
  process.exitCode = 1;
});
