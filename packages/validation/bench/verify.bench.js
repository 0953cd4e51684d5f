/**
 * Assertions verified per second, in one run, on the same keys and tokens:
 * - jose compactVerify: jose's bare signature check;
 * - jose jwtVerify: a careful caller's jose (algorithms, issuer, audience, requiredClaims, maxTokenAge);
 * - node:crypto verify: the bare one-shot signature check (split, base64url decode, crypto.verify);
 * - verifyGrantAssertion: every rule of the engine, a Map replay guard.
 * The pipeline's overhead is read against bare node:crypto, the floor it builds on.
 * Run: npm run bench (build first). Plain JS against dist/, so no extra tooling.
 * Each round verifies every pre-signed token once with each verifier, in batches of 50 whose
 * order rotates, so a load spike on a shared machine hits all of them alike; medians over rounds.
 */
'use strict';
const nodeCrypto = require('node:crypto');
const jose = require('jose');
const { verifyGrantAssertion, importCandidateKeys, createStaticKeyResolver } = require('../dist/index.js');
// The rule steps one by one, to time everything the engine adds around the signature check.
const { readAssertion } = require('../dist/rules/read-assertion.js');
const { requireIssuer } = require('../dist/rules/check-issuer.js');
const { checkAlgorithmAllowed } = require('../dist/rules/check-algorithm.js');
const { selectCandidateKeys } = require('../dist/rules/select-candidate-keys.js');
const { checkGrantAudience } = require('../dist/rules/check-audience.js');
const { checkTimeClaims } = require('../dist/rules/check-time-claims.js');
const { checkLifetime } = require('../dist/rules/check-lifetime.js');
const { requireSubject, checkSubjectAllowed } = require('../dist/rules/check-subject.js');
const { checkJti } = require('../dist/rules/check-jti.js');
const { recordJti } = require('../dist/rules/record-jti.js');

const ISSUER = 'https://idp.example';
const BROKER = 'https://broker.example';
const TOKENS = Number(process.env.BENCH_TOKENS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ALGORITHMS = (process.env.BENCH_ALGS ?? 'ES256,RS256,PS256,EdDSA').split(',');
const BATCH = 50;

/**
 * The bare node:crypto call per alg (what the engine's verifier does, without its checks).
 * @type {Record<string, [string | null, Omit<nodeCrypto.VerifyKeyObjectInput, 'key'>]>}
 */
const NODE_OPTIONS = {
  ES256: ['sha256', { dsaEncoding: 'ieee-p1363' }],
  RS256: ['sha256', { padding: nodeCrypto.constants.RSA_PKCS1_PADDING }],
  PS256: ['sha256', { padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
  EdDSA: [null, {}],
};

/**
 * @typedef {import('../dist/index.js').ReplayGuard} ReplayGuard
 * @typedef {Awaited<ReturnType<typeof setUp>>} Setup
 */

/** @param {string} alg */
async function setUp(alg) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `${alg}-1` };
  const keys = await importCandidateKeys({ keys: [jwk] });
  const now = Math.floor(Date.now() / 1000);
  /** @type {string[]} */
  const tokens = [];
  for (let i = 0; i < TOKENS; i++) {
    tokens.push(
      await new jose.SignJWT({ sub: `user-${i}`, scope: 'read' })
        .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(BROKER)
        .setIssuedAt(now)
        .setExpirationTime(now + 240)
        .setJti(`jti-${alg}-${i}`)
        .sign(privateKey),
    );
  }
  const policy = {
    issuer: ISSUER,
    allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    clockSkewSeconds: 30,
    maxLifetimeSeconds: 300,
    keys: createStaticKeyResolver(keys),
    replayNamespace: 'grant:bench',
    requireJti: true,
    subjects: ['*'],
    condition: null,
  };
  return { alg, tokens, key: keys[0].key, policy };
}

/** @returns {ReplayGuard} */
function mapReplayGuard() {
  /** @type {Map<string, number>} */
  const used = new Map();
  return {
    async markUsed(namespace, jti, expiresAt) {
      const id = `${namespace}\u0000${jti}`;
      if (used.has(id)) return false;
      used.set(id, expiresAt);
      return true;
    },
  };
}

const mustVerify = (/** @type {boolean} */ ok) => {
  if (!ok) throw new Error('a valid token did not verify');
};

/**
 * name -> (setup) -> (token) => Promise|value; a fresh replay guard per round for the engine.
 * @type {Record<string, (setup: Setup) => (token: string) => unknown>}
 */
const VERIFIERS = {
  'jose compactVerify': (setup) => {
    const options = { algorithms: [setup.alg] };
    return (token) => jose.compactVerify(token, setup.key, options);
  },
  'jose jwtVerify': (setup) => {
    const options = { algorithms: [setup.alg], issuer: ISSUER, audience: BROKER, requiredClaims: ['exp', 'sub', 'jti'], maxTokenAge: 300, clockTolerance: 30 };
    return (token) => jose.jwtVerify(token, setup.key, options);
  },
  'node:crypto verify': (setup) => {
    const [hash, extra] = NODE_OPTIONS[setup.alg];
    // importCandidateKeys makes public keys node KeyObjects.
    const key = { key: /** @type {nodeCrypto.KeyObject} */ (setup.key), ...extra };
    return (token) => {
      const dot = token.lastIndexOf('.');
      mustVerify(nodeCrypto.verify(hash, Buffer.from(token.slice(0, dot), 'latin1'), key, Buffer.from(token.slice(dot + 1), 'base64url')));
    };
  },
  verifyGrantAssertion: (setup) => {
    /** @type {import('../dist/index.js').GrantVerificationContext} */
    const ctx = {
      audience: { brokerIssuer: BROKER, tokenEndpoint: `${BROKER}/oauth2/token` },
      replayGuard: mapReplayGuard(),
      findIssuer: (iss) => (iss === ISSUER ? setup.policy : undefined),
    };
    return (token) => verifyGrantAssertion(token, ctx);
  },
};
const NAMES = Object.keys(VERIFIERS);

/**
 * Wall-clock and CPU time (all threads of the process: jose's WebCrypto runs on the libuv pool) of one batch, in ms.
 * @param {(token: string) => unknown} verify
 * @param {string[]} tokens
 */
async function timeBatch(verify, tokens) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const token of tokens) await verify(token);
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/**
 * One round: every token once through each verifier; the order of the verifiers rotates every batch.
 * @param {Setup} setup
 */
async function round(setup) {
  const verifiers = NAMES.map((name) => VERIFIERS[name](setup));
  const totals = NAMES.map(() => ({ wall: 0, cpu: 0 }));
  for (let offset = 0, turn = 0; offset < setup.tokens.length; offset += BATCH, turn++) {
    const batch = setup.tokens.slice(offset, offset + BATCH);
    for (let k = 0; k < NAMES.length; k++) {
      const index = (k + turn) % NAMES.length;
      const t = await timeBatch(verifiers[index], batch);
      totals[index].wall += t.wall;
      totals[index].cpu += t.cpu;
    }
  }
  const count = setup.tokens.length;
  return totals.map((t) => ({ ops: count / (t.wall / 1000), cpuUs: (t.cpu * 1000) / count, wall: t.wall, cpu: t.cpu }));
}

/**
 * CPU microseconds per assertion of every grant rule except the signature (what the engine adds to it).
 * @param {Setup} setup
 */
async function rulesWithoutSignature(setup) {
  const audience = { brokerIssuer: BROKER, tokenEndpoint: `${BROKER}/oauth2/token` };
  const { policy } = setup;
  const now = Math.floor(Date.now() / 1000);
  const runRules = async (/** @type {string} */ token, /** @type {ReplayGuard} */ guard) => {
    const { claims, checkedHeader } = readAssertion(token, 'grant');
    requireIssuer(claims, 'grant');
    checkAlgorithmAllowed(checkedHeader.alg, policy.allowedAlgorithms, 'asymmetric', 'grant');
    await selectCandidateKeys(policy.keys, checkedHeader, 'grant');
    checkGrantAudience(claims, audience);
    const times = checkTimeClaims(claims, now, policy.clockSkewSeconds, 'grant');
    checkLifetime(times, now, policy.maxLifetimeSeconds, 'grant');
    checkSubjectAllowed(requireSubject(claims, 'grant'), policy.subjects, 'grant');
    const jti = checkJti(claims, true, 'grant');
    if (jti !== undefined) await recordJti(guard, policy.replayNamespace, jti, times, policy, 'grant');
  };
  const warmGuard = mapReplayGuard();
  for (const token of setup.tokens) await runRules(token, warmGuard);
  const guards = Array.from({ length: 5 }, () => mapReplayGuard());
  const cpuStart = process.cpuUsage();
  for (const guard of guards) for (const token of setup.tokens) await runRules(token, guard);
  const cpu = process.cpuUsage(cpuStart);
  return (cpu.user + cpu.system) / (5 * setup.tokens.length);
}

const median = (/** @type {number[]} */ values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const rows = [];
  for (const alg of ALGORITHMS) {
    const setup = await setUp(alg);
    await round(setup); // warm-up: JIT, jose's per-key CryptoKey cache, the engine's key facts
    /** @type {Awaited<ReturnType<typeof round>>[]} */
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(setup));
    const nodeIndex = NAMES.indexOf('node:crypto verify');
    const engineIndex = NAMES.indexOf('verifyGrantAssertion');
    rows.push({
      alg,
      ops: NAMES.map((_, i) => median(rounds.map((r) => r[i].ops))),
      cpuUs: NAMES.map((_, i) => median(rounds.map((r) => r[i].cpuUs))),
      wallOverhead: median(rounds.map((r) => (r[engineIndex].wall / r[nodeIndex].wall - 1) * 100)),
      cpuOverhead: median(rounds.map((r) => (r[engineIndex].cpu / r[nodeIndex].cpu - 1) * 100)),
      rulesUs: median([await rulesWithoutSignature(setup), await rulesWithoutSignature(setup), await rulesWithoutSignature(setup)]),
    });
  }
  console.log(`\nAssertions verified per second (Node ${process.version}, ${TOKENS} tokens x ${ROUNDS} rounds, medians, one at a time)\n`);
  const header = ['alg', ...NAMES.map((name) => `${name} /s`), ...NAMES.map((name) => `${name} CPU µs`), 'engine over node:crypto, wall', 'CPU', 'rules w/o signature, CPU µs'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  const pct = (/** @type {number} */ value) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;
  for (const row of rows) {
    const cells = [row.alg, ...row.ops.map((v) => v.toFixed(0)), ...row.cpuUs.map((v) => v.toFixed(1)), pct(row.wallOverhead), pct(row.cpuOverhead), row.rulesUs.toFixed(1)];
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log('\n"engine over node:crypto" = median over rounds of (verifyGrantAssertion time / bare node:crypto time - 1).');
  console.log('CPU time (process.cpuUsage, every thread) is what a verification costs and is less disturbed by other load;');
  console.log('"rules w/o signature" is the CPU cost of every other rule (parse, header, lookup, key choice, claims, replay guard).');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
