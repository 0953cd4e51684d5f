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
