/**
 * The chain against the real Postgres (fresh database, real migrations): appends,
 * idempotency, concurrent writers, every kind of tampering that verify must name, the
 * append-only trigger, and retention.
 */
import { generateKeyPairSync } from 'node:crypto';
import { RetentionService } from '../src/retention/retention.service';
import { signCheckpoint } from '../src/signing-keys/checkpoint-signature';
import { SigningKeysService, publicJwkOf } from '../src/signing-keys/signing-keys.service';
import { disableTriggers, events, openChain, rehashFrom, type Chain } from './chain-harness';
import { ChainWriter } from '../src/audit-chain/chain-writer';
import { createAuditDataSource } from '../src/audit-chain/audit-data-source';

jest.setTimeout(60_000);

describe('appending to the chain', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await openChain('append');
  });
  afterAll(async () => chain.close());

  it('assigns gap-free sequence numbers, skips redelivered ids and verifies intact', async () => {
    const first = events(7);
    expect(await chain.writer.append(first)).toMatchObject({ written: 7, duplicates: 0, headSeq: 7, checkpointed: true });
    const again = [...first.slice(2, 4), ...events(3), first[0]!];
    expect(await chain.writer.append(again)).toMatchObject({ written: 3, duplicates: 3, headSeq: 10 });
    // The same id twice in one batch is stored once.
    const twin = events(1)[0]!;
    expect(await chain.writer.append([twin, twin])).toMatchObject({ written: 1, headSeq: 11 });
    const { rows } = await chain.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, max(seq)::int AS top FROM audit.events`);
    expect(rows[0]).toEqual({ n: 11, ids: 11, top: 11 });
    // No walk recorded yet: a full walk, which records the checkpoint it passed (7).
    expect(await chain.verifier.verify()).toEqual({ intact: true, checked: 11, broken_at: null, reason: null, full: true, from: 1, walked: 11, untrusted_records: 0 });
  });

  it('writes a timed checkpoint only when the head moved and the interval passed', async () => {
    expect(await chain.writer.checkpointIfDue(3_600_000)).toBe(false);
    expect(await chain.writer.checkpointIfDue(0)).toBe(true);
    expect(await chain.writer.checkpointIfDue(0)).toBe(false); // head did not move
    const { rows } = await chain.sql(`SELECT max(seq)::int AS seq FROM audit.checkpoints`);
    expect(rows[0]!.seq).toBe(11);
  });

  it('keeps one chain when several writers append at once', async () => {
    const other = createAuditDataSource(chain.db.url, 4);
    await other.initialize();
    try {
      // A replica: its own connections, the same stored key (generated once, shared).
      const key = await new SigningKeysService(other, chain.keyEncryptionKey).loadActiveKey(undefined);
      const second = new ChainWriter(other, key, 7);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? chain.writer : second).append(events(25))),
      );
      const { rows } = await chain.sql(`SELECT count(*)::int AS n, max(seq)::int AS top, count(DISTINCT prev_hash)::int AS links FROM audit.events`);
      expect(rows[0]).toEqual({ n: 511, top: 511, links: 511 });
      const keys = await chain.sql(`SELECT count(*)::int AS n FROM audit.signing_keys`);
      expect(keys.rows[0]!.n).toBe(1);
      expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 511, broken_at: null, reason: null, full: true, walked: 511 });
    } finally {
      await other.destroy();
    }
  });

  it('keeps one chain while a replica of the previous release appends with the (batch json) function', async () => {
    // What that release sent: one json array of {"canonical", "event"} items.
    const previousRelease = (batch: ReturnType<typeof events>) =>
      chain.sql(`SELECT * FROM audit.append_events($1::json)`, [
        `[${batch.map((prepared) => `{"canonical":${JSON.stringify(prepared.canonical)},"event":${prepared.json}}`).join(',')}]`,
      ]);
    const shared = events(10);
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? chain.writer.append(events(30)) : previousRelease(events(30)))),
      chain.writer.append(shared),
      previousRelease(shared), // the same ids through both: stored once
    ]);
    const { rows } = await chain.sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, max(seq)::int AS top FROM audit.events`);
    expect(rows[0]).toEqual({ n: 701, ids: 701, top: 701 });
    expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 701, broken_at: null, reason: null, full: false });
  });

  it('verifies intact while appends run', async () => {
    const appends = Promise.all(Array.from({ length: 10 }, () => chain.writer.append(events(20))));
    const reports = await Promise.all([chain.verifier.verify(), chain.verifier.verify(), chain.verifier.verify()]);
    await appends;
    for (const report of reports) expect(report).toMatchObject({ intact: true, broken_at: null, reason: null });
    expect(await chain.verifier.verify({ full: true })).toMatchObject({ intact: true, checked: 901, broken_at: null, reason: null, walked: 901 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE while the trigger is on', async () => {
    await expect(chain.sql(`UPDATE audit.events SET subject = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(chain.sql(`DELETE FROM audit.events WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(chain.sql(`TRUNCATE audit.events`)).rejects.toThrow(/append-only/);
    await expect(chain.sql(`DELETE FROM audit.checkpoints`)).rejects.toThrow(/append-only/);
  });
});

describe('verify names the first place where the chain breaks', () => {
  // 20 events, a checkpoint every 5 (seq 5, 10, 15, 20).
  const cases: Array<{ name: string; tamper: (chain: Chain) => Promise<void>; brokenAt: number; reason: string }> = [
    {
      name: 'a changed field',
      tamper: (c) => c.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 7`).then(() => undefined),
      brokenAt: 7,
      reason: 'hash_mismatch',
    },
    {
      name: 'a changed detail inside the JSON',
      tamper: (c) => c.sql(`UPDATE audit.events SET details = jsonb_set(details, '{nested,n}', '0') WHERE seq = 12`).then(() => undefined),
      brokenAt: 12,
      reason: 'hash_mismatch',
    },
    {
      name: 'a deleted row',
      tamper: (c) => c.sql(`DELETE FROM audit.events WHERE seq = 9`).then(() => undefined),
      brokenAt: 9,
      reason: 'seq_gap',
    },
    {
      name: 'deleted rows at the start, not on a checkpoint',
      tamper: (c) => c.sql(`DELETE FROM audit.events WHERE seq <= 3`).then(() => undefined),
      brokenAt: 1,
      reason: 'seq_gap',
    },
    {
      name: 'two rows swapped',
      tamper: async (c) => {
        await c.sql(`UPDATE audit.events SET seq = -1 WHERE seq = 13`);
        await c.sql(`UPDATE audit.events SET seq = 13 WHERE seq = 14`);
        await c.sql(`UPDATE audit.events SET seq = 14 WHERE seq = -1`);
      },
      brokenAt: 13,
      reason: 'prev_hash_mismatch',
    },
    {
      name: 'a forged checkpoint signature',
      tamper: (c) => c.sql(`UPDATE audit.checkpoints SET signature = (SELECT signature FROM audit.checkpoints WHERE seq = 5) WHERE seq = 10`).then(() => undefined),
      brokenAt: 10,
      reason: 'checkpoint_signature_invalid',
    },
    {
      name: 'the tail cut off (rows and head row)',
      tamper: async (c) => {
        await c.sql(`DELETE FROM audit.events WHERE seq > 16`);
        await c.sql(`UPDATE audit.chain_head SET seq = 16`);
      },
      brokenAt: 17,
      reason: 'head_truncated',
    },
    {
      name: 'the chain rewritten from a row on, hashes recomputed',
      tamper: async (c) => {
        const { rows } = await c.sql(`SELECT seq, prev_hash FROM audit.events WHERE seq = 6`);
        await c.sql(`UPDATE audit.events SET subject = 'mallory' WHERE seq = 6`);
        await rehashFrom(c, 6, String(rows[0]!.prev_hash));
      },
      brokenAt: 10,
      reason: 'checkpoint_hash_mismatch',
    },
    {
      name: 'a checkpoint re-signed with a key that is not sealed under KEY_ENCRYPTION_KEY',
      tamper: async (c) => {
        const { privateKey } = generateKeyPairSync('ed25519');
        const jwk = publicJwkOf(privateKey);
        await c.sql(`INSERT INTO audit.signing_keys (kid, public_jwk, sealed) VALUES ($1, $2, 'v1.forged.seal.x')`, [jwk.kid, JSON.stringify(jwk)]);
        const { rows } = await c.sql(`SELECT hash, created_at FROM audit.checkpoints WHERE seq = 15`);
        const { kid, signature } = signCheckpoint(
          { kid: jwk.kid, privateKey },
          { seq: 15, hash: String(rows[0]!.hash), created_at: (rows[0]!.created_at as Date).toISOString() },
        );
        await c.sql(`UPDATE audit.checkpoints SET kid = $1, signature = $2 WHERE seq = 15`, [kid, signature]);
      },
      brokenAt: 15,
      reason: 'checkpoint_signature_invalid',
    },
  ];

  it.each(cases)('$name: broken at $brokenAt ($reason)', async ({ tamper, brokenAt, reason }) => {
    const chain = await openChain('tamper');
    try {
      for (let batch = 0; batch < 4; batch += 1) await chain.writer.append(events(5));
      const { rows } = await chain.sql(`SELECT array_agg(seq::int ORDER BY seq) AS seqs FROM audit.checkpoints`);
      expect(rows[0]!.seqs).toEqual([5, 10, 15, 20]);
      expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 20 });
      await disableTriggers(chain);
      await tamper(chain);
      const report = await chain.verifier.verify({ full: true });
      expect(report).toMatchObject({ intact: false, broken_at: brokenAt, reason });
    } finally {
      await chain.close();
    }
  });
});

describe('retention', () => {
  it('prunes whole checkpoint ranges and the rest still verifies from the kept checkpoint', async () => {
    const chain = await openChain('retention', 10);
    try {
      await chain.writer.append(events(25)); // checkpoint at 25 (>= 10 events since 0)
      await chain.writer.append(events(12)); // checkpoint at 37
      await chain.writer.append(events(3)); // head 40, no checkpoint yet
      const retention = new RetentionService(chain.dataSource, 1);
      expect(await retention.prune()).toEqual({ prunedEvents: 0, anchorSeq: null }); // nothing a day old yet
      const inTwoDays = new Date(Date.now() + 2 * 24 * 3600 * 1000);
      expect(await retention.prune(inTwoDays)).toEqual({ prunedEvents: 37, anchorSeq: 37 });
      const { rows } = await chain.sql(`SELECT min(seq)::int AS first, count(*)::int AS n FROM audit.events`);
      expect(rows[0]).toEqual({ first: 38, n: 3 });
      expect(await chain.verifier.verify()).toEqual({ intact: true, checked: 3, broken_at: null, reason: null, full: true, from: 38, walked: 3, untrusted_records: 0 });
      // Without retention configured nothing is ever pruned.
      expect(await new RetentionService(chain.dataSource, undefined).prune(inTwoDays)).toEqual({ prunedEvents: 0, anchorSeq: null });
      // Appending continues on top of the pruned chain.
      await chain.writer.append(events(5));
      expect(await chain.verifier.verify()).toMatchObject({ intact: true, checked: 8 });
      // A forged anchor is caught.
      await disableTriggers(chain);
      await chain.sql(`UPDATE audit.checkpoints SET hash = repeat('f', 64) WHERE seq = 37`);
      expect(await chain.verifier.verify()).toMatchObject({ intact: false, broken_at: 37, reason: 'checkpoint_signature_invalid' });
    } finally {
      await chain.close();
    }
  });
});
