import { PassThrough } from 'node:stream';
import { ApiError } from '@trust-broker/service-kit/errors';
import type { SigningKeysService } from '../signing-keys/signing-keys.service';
import { AuditChainController, MAX_CONCURRENT_WALKS, parseVerifyQuery, wantsProgress } from './audit-chain.controller';
import type { ChainVerifier, VerifyReport } from './chain-verifier';

const INTACT: VerifyReport = { intact: true, checked: 3, broken_at: null, reason: null, full: true, from: 1, walked: 3, untrusted_records: 0 };

describe('GET /v1/audit/verify parameters', () => {
  it.each([
    [{}, false],
    [{ full: '' }, false],
    [{ full: 'false' }, false],
    [{ full: 'true' }, true],
  ])('%j: full %s', (query, full) => {
    expect(parseVerifyQuery(query)).toEqual({ full });
  });

  it.each([[{ full: 'yes' }], [{ full: '1' }], [{ full: 'TRUE' }], [{ full: ['true', 'false'] }]])('%j is 400 invalid_request', (query) => {
    expect(() => parseVerifyQuery(query)).toThrow(expect.objectContaining({ status: 400, error: 'invalid_request' }));
  });

  it.each([
    [undefined, false],
    ['application/json', false],
    ['application/x-ndjson', true],
    ['application/json;q=0.5, Application/X-NDJSON; q=1', true],
    ['application/x-ndjsonx', false],
  ])('Accept %s: progress %s', (accept, expected) => {
    expect(wantsProgress(accept)).toBe(expected);
  });
});

describe('concurrent walks', () => {
  it(`runs at most ${MAX_CONCURRENT_WALKS} at once; one more is 503 temporarily_unavailable with Retry-After`, async () => {
    const pending: Array<(report: VerifyReport) => void> = [];
    const verifier = { verify: () => new Promise<VerifyReport>((resolve) => pending.push(resolve)) } as unknown as ChainVerifier;
    const controller = new AuditChainController(verifier, {} as SigningKeysService);
    const sent: unknown[] = [];
    const reply = { header: () => reply, send: (body: unknown) => sent.push(body), raw: { on: () => undefined } };
    const walks = Array.from({ length: MAX_CONCURRENT_WALKS }, () => controller.verify({}, undefined, reply));
    await new Promise(setImmediate);
    let refused: unknown;
    await controller.verify({ full: 'true' }, undefined, reply).catch((error: unknown) => (refused = error));
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 503, error: 'temporarily_unavailable', headers: { 'Retry-After': '10' } });
    pending.shift()!(INTACT);
    await walks[0];
    const next = controller.verify({}, undefined, reply); // a walk ended: room for one more
    await new Promise(setImmediate);
    for (const resolve of pending.splice(0)) resolve(INTACT);
    await Promise.all([...walks, next]);
    expect(sent).toEqual([INTACT, INTACT, INTACT]);
  });
});

describe('a plain (JSON) verify that walks long', () => {
  /** A reply that records what the controller sends; a stream body is read to its end. */
  function recordingReply() {
    const headers: Record<string, string> = {};
    let body: Promise<{ text: string; error?: Error }> | undefined;
    const reply = {
      header: (name: string, value: string) => ((headers[name] = value), reply),
      send: (payload: unknown) => {
        body =
          payload instanceof PassThrough
            ? new Promise((resolve) => {
                const chunks: string[] = [];
                payload.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
                payload.on('end', () => resolve({ text: chunks.join('') }));
                payload.on('close', () => resolve({ text: chunks.join(''), error: new Error('ended unfinished') }));
              })
            : Promise.resolve({ text: JSON.stringify(payload) });
      },
      raw: { on: () => undefined },
    };
    return { reply, headers, body: () => body! };
  }

  const slowVerifier = (ms: number, outcome: VerifyReport | Error) =>
    ({
      verify: () => new Promise((resolve, reject) => setTimeout(() => (outcome instanceof Error ? reject(outcome) : resolve(outcome)), ms)),
    }) as unknown as ChainVerifier;

  it('answers the object itself when the walk ends within keepaliveMs', async () => {
    const controller = new AuditChainController(slowVerifier(5, INTACT), {} as SigningKeysService);
    controller.keepaliveMs = 500;
    const { reply, body } = recordingReply();
    await controller.verify({ full: 'true' }, 'application/json', reply);
    expect(await body()).toEqual({ text: JSON.stringify(INTACT) });
  });

  it('sends the head, then spaces every keepaliveMs, then the same object (JSON allows the whitespace)', async () => {
    const controller = new AuditChainController(slowVerifier(230, INTACT), {} as SigningKeysService);
    controller.keepaliveMs = 50;
    const { reply, headers, body } = recordingReply();
    await controller.verify({ full: 'true' }, undefined, reply);
    const { text, error } = await body();
    expect(error).toBeUndefined();
    expect(headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    expect(text).toMatch(/^ {2,}\{/);
    expect(JSON.parse(text)).toEqual(INTACT);
  });

  it('a walk that fails after the head ends the answer unfinished, not as a 200 that parses', async () => {
    const controller = new AuditChainController(slowVerifier(120, new Error('connection lost')), {} as SigningKeysService);
    controller.keepaliveMs = 50;
    const { reply, body } = recordingReply();
    await controller.verify({ full: 'true' }, undefined, reply);
    const { text, error } = await body();
    expect(error).toBeDefined();
    expect(() => JSON.parse(text)).toThrow();
  });
});
