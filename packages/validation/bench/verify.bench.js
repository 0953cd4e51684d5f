/**
 * Assertions verified per second: verifyGrantAssertion (every rule, a Map replay guard)
 * against bare jose.jwtVerify on the same keys and tokens (with the options a careful
 * caller passes: algorithms, issuer, audience, requiredClaims, maxTokenAge).
 * Run: npm run bench (builds first). Plain JS against dist/, so no extra tooling.
 * Each round verifies every pre-signed token once; rounds alternate between the two
 * and the median is reported, which keeps a busy machine's noise out of the ratio.
 */
'use strict';
const { performance } = require('node:perf_hooks');
const jose = require('jose');
const { verifyGrantAssertion, importCandidateKeys, createStaticKeyResolver } = require('../dist/index.js');
// The rule steps one by one, to time everything the engine adds around jose's signature check.
const { checkAssertionParameter } = require('../dist/rules/check-assertion-parameter.js');
const { parseCompactJws } = require('../dist/rules/parse-compact-jws.js');
const { checkHeader } = require('../dist/rules/check-header.js');
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
const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];

async function setUp(alg) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `${alg}-1` };
  const keys = await importCandidateKeys({ keys: [jwk] });
  const now = Math.floor(Date.now() / 1000);
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
  return { tokens, key: keys[0].key, policy };
}

function mapReplayGuard() {
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

const BATCH = 50;

function joseVerifier(setup, alg) {
  const options = { algorithms: [alg], issuer: ISSUER, audience: BROKER, requiredClaims: ['exp', 'sub', 'jti'], maxTokenAge: 300, clockTolerance: 30 };
  return (token) => jose.jwtVerify(token, setup.key, options);
}

function engineVerifier(setup) {
  const ctx = {
    audience: { brokerIssuer: BROKER, tokenEndpoint: `${BROKER}/oauth2/token` },
    replayGuard: mapReplayGuard(),
    findIssuer: (iss) => (iss === ISSUER ? setup.policy : undefined),
  };
  return (token) => verifyGrantAssertion(token, ctx);
}

/** Wall-clock and CPU time (all threads of the process: jose's WebCrypto runs on the libuv pool) of one batch, in ms. */
async function timeBatch(verify, tokens) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const token of tokens) await verify(token);
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/**
 * One round: every token once through each verifier, in alternating batches of 50 (the
 * order flips every batch), so a load spike on a shared machine hits both sides alike.
 */
async function round(setup, alg) {
  const bare = joseVerifier(setup, alg);
  const engine = engineVerifier(setup);
  const bareMs = { wall: 0, cpu: 0 };
  const engineMs = { wall: 0, cpu: 0 };
  const add = (total, t) => {
    total.wall += t.wall;
    total.cpu += t.cpu;
  };
  for (let offset = 0, flip = false; offset < setup.tokens.length; offset += BATCH, flip = !flip) {
    const batch = setup.tokens.slice(offset, offset + BATCH);
    if (flip) {
      add(engineMs, await timeBatch(engine, batch));
      add(bareMs, await timeBatch(bare, batch));
    } else {
      add(bareMs, await timeBatch(bare, batch));
      add(engineMs, await timeBatch(engine, batch));
    }
  }
  const count = setup.tokens.length;
  return {
    bareOps: count / (bareMs.wall / 1000),
    engineOps: count / (engineMs.wall / 1000),
    overhead: (engineMs.wall / bareMs.wall - 1) * 100,
    bareCpuUs: (bareMs.cpu * 1000) / count,
    engineCpuUs: (engineMs.cpu * 1000) / count,
    cpuOverhead: (engineMs.cpu / bareMs.cpu - 1) * 100,
  };
}

/** CPU microseconds per assertion of every grant rule except the signature (what the engine adds to jose). */
async function rulesWithoutSignature(setup) {
  const audience = { brokerIssuer: BROKER, tokenEndpoint: `${BROKER}/oauth2/token` };
  const { policy } = setup;
  const now = Math.floor(Date.now() / 1000);
  const runRules = async (token, guard) => {
    const { header, claims } = parseCompactJws(checkAssertionParameter(token), 'grant');
    const checked = checkHeader(header, 'grant');
    requireIssuer(claims, 'grant');
    checkAlgorithmAllowed(checked.alg, policy.allowedAlgorithms, 'asymmetric', 'grant');
    await selectCandidateKeys(policy.keys, checked, 'grant');
    checkGrantAudience(claims, audience);
    const times = checkTimeClaims(claims, now, policy.clockSkewSeconds, 'grant');
    checkLifetime(times, now, policy.maxLifetimeSeconds, 'grant');
    checkSubjectAllowed(requireSubject(claims, 'grant'), policy.subjects, 'grant');
    await recordJti(guard, policy.replayNamespace, checkJti(claims, true, 'grant'), times.exp + policy.clockSkewSeconds, 'grant');
  };
  const warmGuard = mapReplayGuard();
  for (const token of setup.tokens) await runRules(token, warmGuard);
  const guards = Array.from({ length: 5 }, () => mapReplayGuard());
  const cpuStart = process.cpuUsage();
  for (const guard of guards) for (const token of setup.tokens) await runRules(token, guard);
  const cpu = process.cpuUsage(cpuStart);
  return (cpu.user + cpu.system) / (5 * setup.tokens.length);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const rows = [];
  for (const alg of ALGORITHMS) {
    const setup = await setUp(alg);
    await round(setup, alg); // warm-up: JIT and jose's per-key CryptoKey cache
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(setup, alg));
    rows.push({
      alg,
      bareOps: median(rounds.map((r) => r.bareOps)),
      engineOps: median(rounds.map((r) => r.engineOps)),
      overhead: median(rounds.map((r) => r.overhead)),
      bareCpuUs: median(rounds.map((r) => r.bareCpuUs)),
      engineCpuUs: median(rounds.map((r) => r.engineCpuUs)),
      cpuOverhead: median(rounds.map((r) => r.cpuOverhead)),
      rulesUs: median([await rulesWithoutSignature(setup), await rulesWithoutSignature(setup), await rulesWithoutSignature(setup)]),
    });
  }
  console.log(`\nAssertions verified per second (Node ${process.version}, ${TOKENS} tokens x ${ROUNDS} rounds, medians, one at a time)\n`);
  const pct = (value) => `${value.toFixed(1)}%`.padStart(8);
  console.log('| alg   | jose.jwtVerify /s | verifyGrantAssertion /s | wall overhead | jose CPU us | engine CPU us | CPU overhead | rules w/o signature us |');
  console.log('| ----- | ----------------: | ----------------------: | ------------: | ----------: | ------------: | -----------: | ---------------------: |');
  for (const row of rows) {
    console.log(
      `| ${row.alg.padEnd(5)} | ${row.bareOps.toFixed(0).padStart(17)} | ${row.engineOps.toFixed(0).padStart(23)} | ${pct(row.overhead).padStart(13)} | ${row.bareCpuUs.toFixed(1).padStart(11)} | ${row.engineCpuUs.toFixed(1).padStart(13)} | ${pct(row.cpuOverhead).padStart(12)} | ${row.rulesUs.toFixed(1).padStart(22)} |`,
    );
  }
  console.log('\noverhead = median over rounds of (engine time / jose time - 1). Wall time is what a caller waits;');
  console.log('CPU time (process.cpuUsage, every thread) is what a verification costs and is less disturbed by other');
  console.log('load on the machine. "rules w/o signature" is the CPU cost of every other rule (parse, header, lookup,');
  console.log('key choice, claims, replay guard), the part the engine adds to the signature check. The aim is under 10%.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
