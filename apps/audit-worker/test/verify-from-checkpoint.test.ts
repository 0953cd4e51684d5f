/**
 * GET /v1/audit/verify's walk on the real Postgres: from the last verified signed checkpoint
 * by default, the whole chain with `full`; what each mode finds (a tampered row after and
 * before the verified checkpoint, a forged checkpoint, a forged verification record, rows
 * cut off below a verified checkpoint), paging, progress, and the walk's fast canonical form
 * (built from the binary COPY's bytes) against the ordinary one on awkward values.
 */
import { generateKeyPairSync } from 'node:crypto';
import { canonicalEvent, prepareEvent, toChainEvent } from '../src/audit-chain/chain-event';
import { isVerificationSignatureValid } from '../src/audit-chain/verification-records';
import { auditMetrics } from '../src/audit-events/audit-metrics';
import { signCheckpoint } from '../src/signing-keys/checkpoint-signature';
import { publicJwkOf } from '../src/signing-keys/signing-keys.service';
import { disableTriggers, events, openChain, rehashFrom, type Chain } from './chain-harness';
import { makeEvent } from './fixtures';

jest.setTimeout(60_000);

/** 20 events, a checkpoint every 5 (5, 10, 15, 20), and one verify that records checkpoint 20. */
async function verifiedChain(label: string): Promise<Chain> {
  const chain = await openChain(label);
  for (let batch = 0; batch < 4; batch += 1) await chain.writer.append(events(5));
  expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 20, full: true, from: 1, walked: 20 });
  return chain;
}

async function records(chain: Chain): Promise<Array<{ checkpoint_seq: number; from_seq: number }>> {
  const { rows } = await chain.sql(`SELECT checkpoint_seq::int, from_seq::int FROM audit.verifications ORDER BY id`);
  return rows as Array<{ checkpoint_seq: number; from_seq: number }>;
}

/** A key the attacker made and slipped into audit.signing_keys (without KEY_ENCRYPTION_KEY, so its seal is made up). */
async function attackerKey(chain: Chain) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicJwkOf(privateKey);
  await chain.sql(`INSERT INTO audit.signing_keys (kid, public_jwk, sealed) VALUES ($1, $2, 'v1.forged.seal.x')`, [jwk.kid, JSON.stringify(jwk)]);
  return { kid: jwk.kid, privateKey };
}

async function metric(counter: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
  return (await counter.get()).values[0]?.value ?? 0;
}

describe('full and incremental walks', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await verifiedChain('incremental');
  });
  afterAll(async () => chain.close());

  it('records the checkpoint a walk passed, signed so that the published keys verify it', async () => {
    expect(await records(chain)).toEqual([{ checkpoint_seq: 20, from_seq: 1 }]);
    const { rows } = await chain.sql(`SELECT checkpoint_seq, checkpoint_hash, from_seq, verified_at, kid, signature FROM audit.verifications`);
    const row = rows[0] as { checkpoint_seq: string; checkpoint_hash: string; from_seq: string; verified_at: Date; kid: string; signature: string };
    const published = await chain.signingKeys.trustedKeys();
    const claims = {
      checkpoint_seq: Number(row.checkpoint_seq),
      checkpoint_hash: row.checkpoint_hash,
      from_seq: Number(row.from_seq),
      verified_at: row.verified_at.toISOString(),
      kid: row.kid,
    };
    expect(isVerificationSignatureValid(published.get(row.kid)!.key, claims, row.signature)).toBe(true);
    expect(isVerificationSignatureValid(published.get(row.kid)!.key, { ...claims, checkpoint_seq: 25 }, row.signature)).toBe(false);
    const checkpoint = await chain.sql(`SELECT hash FROM audit.checkpoints WHERE seq = 20`);
    expect(row.checkpoint_hash).toBe(checkpoint.rows[0]!.hash);
  });

  it('walks only from the verified checkpoint by default, and everything with full', async () => {
    await chain.writer.append(events(5));
    await chain.writer.append(events(5)); // checkpoints 25 and 30
    expect(await chain.verifier.verify({ pageSize: 4 })).toEqual({
      intact: true,
      checked: 30,
      broken_at: null,
      reason: null,
      full: false,
      from: 20,
      walked: 11,
      untrusted_records: 0,
    });
    expect(await records(chain)).toEqual([
      { checkpoint_seq: 20, from_seq: 1 },
      { checkpoint_seq: 30, from_seq: 20 },
    ]);
    expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 30, full: false, from: 30, walked: 1 });
    expect(await chain.verifier.verify({ full: true, pageSize: 7 })).toMatchObject({ intact: true, checked: 30, full: true, from: 1, walked: 30 });
    expect(await records(chain)).toHaveLength(2); // nothing newer was passed
  });

  it('reports progress between pages, and stops when asked to', async () => {
    const progress: Array<{ checked: number; seq: number; last: number }> = [];
    await chain.verifier.verify({ full: true, pageSize: 6, progressEveryMs: 0, onProgress: (p) => progress.push(p) });
    expect(progress.map((p) => p.seq)).toEqual([6, 12, 18, 24, 30]);
    expect(progress.every((p) => p.last === 30 && p.checked === p.seq)).toBe(true);
    const stop = new AbortController();
    stop.abort();
    await expect(chain.verifier.verify({ full: true, signal: stop.signal })).rejects.toThrow(/abort/i);
  });
});

describe('what each walk finds', () => {
  let chain: Chain;
  afterEach(async () => chain.close());

  it('a row changed after the verified checkpoint: both walks', async () => {
    chain = await verifiedChain('after');
    await chain.writer.append(events(10));
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 27`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, checked: 26, broken_at: 27, reason: 'hash_mismatch', full: false, from: 20 });
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, checked: 26, broken_at: 27, reason: 'hash_mismatch', full: true });
    expect(await records(chain)).toHaveLength(1); // a broken walk records nothing
  });

  it('a row changed before the verified checkpoint: only the full walk (the incremental one starts after it)', async () => {
    chain = await verifiedChain('before');
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 7`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: true, full: false, from: 20 });
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 7, reason: 'hash_mismatch' });
  });

  it("the verified checkpoint's own row changed, or rewritten with its hash: the incremental walk", async () => {
    chain = await verifiedChain('own-row');
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.events SET scope = 'admin' WHERE seq = 20`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 20, reason: 'hash_mismatch', full: false });
    const { rows } = await chain.sql(`SELECT prev_hash FROM audit.events WHERE seq = 12`);
    await chain.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 12`);
    await rehashFrom(chain, 12, String(rows[0]!.prev_hash));
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 20, reason: 'checkpoint_hash_mismatch', full: false });
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 15, reason: 'checkpoint_hash_mismatch' });
  });

  it('a forged checkpoint after the verified one: signed by a key of its own, or not signed at all', async () => {
    chain = await verifiedChain('forged-checkpoint');
    await chain.writer.append(events(3)); // 21..23, no checkpoint yet
    const { rows } = await chain.sql(`SELECT hash FROM audit.events WHERE seq = 22`);
    const forger = await attackerKey(chain);
    const createdAt = new Date().toISOString();
    const forged = signCheckpoint(forger, { seq: 22, hash: String(rows[0]!.hash), created_at: createdAt });
    await chain.sql(`INSERT INTO audit.checkpoints (seq, hash, created_at, kid, signature) VALUES (22, $1, $2, $3, $4)`, [
      rows[0]!.hash,
      createdAt,
      forged.kid,
      forged.signature,
    ]);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 22, reason: 'checkpoint_signature_invalid', full: false });
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.checkpoints SET kid = $1, signature = 'AAAA' WHERE seq = 22`, [chain.key.kid]);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 22, reason: 'checkpoint_signature_invalid' });
    // Even a row that no longer fits the table's constraints is an answer, not an error.
    await chain.sql(`ALTER TABLE audit.checkpoints ALTER COLUMN created_at DROP NOT NULL`);
    await chain.sql(`UPDATE audit.checkpoints SET created_at = NULL WHERE seq = 22`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 22, reason: 'checkpoint_signature_invalid' });
  });

  it('a forged verification record is not trusted: the walk starts from the last genuine one and finds what it hid', async () => {
    chain = await verifiedChain('forged-record');
    await chain.writer.append(events(10)); // checkpoints 25, 30
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 27`);
    const { rows } = await chain.sql(`SELECT hash FROM audit.checkpoints WHERE seq = 30`);
    const forger = await attackerKey(chain);
    const insert = `INSERT INTO audit.verifications (checkpoint_seq, checkpoint_hash, from_seq, verified_at, kid, signature) VALUES (30, $1, 1, now(), $2, $3)`;
    await chain.sql(insert, [rows[0]!.hash, forger.kid, 'AAAA']);
    await chain.sql(insert, [rows[0]!.hash, chain.key.kid, 'AAAA']);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 27, reason: 'hash_mismatch', from: 20, untrusted_records: 2 });
  });

  it('a record that cannot be written does not change the answer; the next walk starts further back', async () => {
    chain = await verifiedChain('unrecorded');
    await chain.writer.append(events(10)); // checkpoints 25, 30
    await chain.sql(`ALTER TABLE audit.verifications ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 30, from: 20, walked: 11 });
    expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 30, from: 20, walked: 11 });
    expect(await records(chain)).toEqual([{ checkpoint_seq: 20, from_seq: 1 }]);
  });

  it('the verified checkpoint deleted, or the rows cut off below it: both walks', async () => {
    chain = await verifiedChain('cut');
    await disableTriggers(chain);
    await chain.sql(`DELETE FROM audit.checkpoints WHERE seq = 20`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 20, reason: 'checkpoint_missing' });
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 20, reason: 'checkpoint_missing' });
    // Every trace of the tail removed (rows, checkpoints, head): only the signed record still knows.
    await chain.sql(`DELETE FROM audit.events WHERE seq > 12`);
    await chain.sql(`DELETE FROM audit.checkpoints WHERE seq > 12`);
    await chain.sql(`UPDATE audit.chain_head SET seq = 12, hash = (SELECT hash FROM audit.events WHERE seq = 12)`);
    expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 13, reason: 'head_truncated' });
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 13, reason: 'head_truncated' });
  });
});

describe("the fast canonical form is the ordinary one, byte for byte", () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await openChain('canonical', 4);
  });
  afterAll(async () => chain.close());

  it('on awkward strings and details: no row needs the slow path', async () => {
    const awkward = [
      'quote " backslash \\ slash /',
      'controls \u0001\u0008\u0009\u000a\u000c\u000d\u001f\u007f',
      'é ü ß 中文 😀 \u2028\u2029 \ufeff',
      '',
      ' leading and trailing ',
      'x'.repeat(1000),
    ];
    const batch = awkward.map((text, i) =>
      prepareEvent(
        toChainEvent(
          makeEvent({
            subject: text,
            issuer: `https://idp.example/${text.slice(0, 50)}`,
            scope: i % 2 === 0 ? text : null,
            remote_addr: i % 3 === 0 ? '2001:db8::1' : null,
            occurred_at: ['2026-01-31T23:59:59.999Z', '0999-12-31T00:00:00Z', '2026-06-01T12:00:00.1+02:00'][i % 3],
            details: {
              text,
              numbers: [0, -0, 1.5, 1e21, 1e-7, -123456789012345, 0.1 + 0.2, 2 ** 53],
              '10': 'integer-like keys sort as strings',
              '9': true,
              b: { z: null, a: [[], {}, ''] },
              é: 'non-ASCII key',
              A: 'upper case sorts first',
            },
          }),
        ),
      ),
    );
    await chain.writer.append(batch);
    await chain.writer.append([prepareEvent(toChainEvent(makeEvent({ details: null, reason: null })))]);
    const before = await metric(auditMetrics.verifyRechecked);
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 7 });
    expect(await metric(auditMetrics.verifyRechecked)).toBe(before);
  });

  it('on flat details (reordered without parsing), other details, and times far from 2000 or finer than a millisecond', async () => {
    const flat: Array<Record<string, unknown>> = [
      { token_jti: 'j-1', active: true, revoked: false, gone: null, count: 42, negative: -7, zero: 0, big: 123456789012345 },
      { z: 'last', a: 'first', aa: 'longer after a', A: 'upper case first', '': 'empty key', 'b-c': 'quote " and \\ and \u0001 and é' },
      {},
      { fraction: 1.5, huge: 2 ** 60, exponent: 1e-7 },
      { 'clé': 'non-ASCII key', key: 'value' },
      { nested: { b: 1, a: 2 } },
    ];
    const times = ['1000-01-01T00:00:00.000Z', '0001-02-03T04:05:06.007Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z', '2026-02-28T12:00:00.5Z'];
    await chain.writer.append(flat.map((details, i) => prepareEvent(toChainEvent(makeEvent({ details, occurred_at: times[i % times.length] })))));
    // Written by hand: details that are not an object, and a time stored with microseconds (the
    // driver's Date and the fast form both truncate it to the millisecond).
    const byHand = [['a', 'list'], 'a string', 7].map((details) => ({ ...toChainEvent(makeEvent()), details: details as never }));
    const fine = toChainEvent(makeEvent({ occurred_at: '2026-03-01T10:00:00.123Z' }));
    await chain.sql(`SELECT * FROM audit.append_events($1::text[], $2::json)`, [
      [...byHand, fine].map((event) => canonicalEvent(event)),
      JSON.stringify([...byHand, { ...fine, occurred_at: '2026-03-01T10:00:00.123999Z' }]),
    ]);
    const before = await metric(auditMetrics.verifyRechecked);
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 17 });
    expect(await metric(auditMetrics.verifyRechecked)).toBe(before);
  });

  it('a value changed to the escaped text of the original, or in flat details: a hash_mismatch at that row', async () => {
    const fresh = await openChain('escaped', 100);
    try {
      await fresh.writer.append([
        ...events(2),
        prepareEvent(toChainEvent(makeEvent({ subject: 'say "hi"', details: { note: 'a "b"', token_jti: 'j-1', n: 1 } }))),
        ...events(2),
      ]);
      expect(await fresh.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 5 });
      await disableTriggers(fresh);
      const tampers = [
        `UPDATE audit.events SET subject = 'say \\"hi\\"' WHERE seq = 3`,
        `UPDATE audit.events SET details = '{"note": "a \\\\\\"b\\\\\\"", "token_jti": "j-1", "n": 1}' WHERE seq = 3`,
        `UPDATE audit.events SET details = jsonb_set(details, '{token_jti}', '"j-2"') WHERE seq = 3`,
        `UPDATE audit.events SET details = jsonb_set(details, '{n}', '"1"') WHERE seq = 3`,
      ];
      const { rows } = await fresh.sql(`SELECT subject, details FROM audit.events WHERE seq = 3`);
      for (const tamper of tampers) {
        await fresh.sql(tamper);
        expect(await fresh.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 3, reason: 'hash_mismatch' });
        await fresh.sql(`UPDATE audit.events SET subject = $1, details = $2 WHERE seq = 3`, [rows[0]!.subject, rows[0]!.details]);
        expect(await fresh.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 5 });
      }
      const { rows: tampered } = await fresh.sql(`SELECT subject FROM audit.events WHERE seq = 3`);
      expect(tampered[0]!.subject).toBe('say "hi"');
    } finally {
      await fresh.close();
    }
  });

  it('a row without a fast form (a year past 9999, printed +010000 by JavaScript) is checked the ordinary way', async () => {
    const event = { ...toChainEvent(makeEvent()), occurred_at: new Date(Date.UTC(10000, 0, 1)).toISOString() };
    expect(event.occurred_at).toBe('+010000-01-01T00:00:00.000Z');
    await chain.sql(`SELECT * FROM audit.append_events($1::text[], $2::json)`, [
      [canonicalEvent(event)],
      JSON.stringify([{ ...event, occurred_at: '10000-01-01T00:00:00Z' }]),
    ]);
    const before = await metric(auditMetrics.verifyRechecked);
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 18 });
    expect(await metric(auditMetrics.verifyRechecked)).toBe(before + 1);
    // Changed, it fails both ways.
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 18`);
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 18, reason: 'hash_mismatch' });
  });

  it('details nested deeper than canonicalize can follow (written by hand) are a hash_mismatch, not an error', async () => {
    await disableTriggers(chain);
    await chain.sql(`UPDATE audit.events SET details = (repeat('[', 3000) || repeat(']', 3000))::jsonb WHERE seq = 3`);
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: false, broken_at: 3, reason: 'hash_mismatch' });
  });
});
