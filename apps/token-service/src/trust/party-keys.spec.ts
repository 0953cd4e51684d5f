import { generatePartyKey, jwksOf } from '@trust-broker/testing';
import { PartyKeys } from './party-keys';

describe('PartyKeys: unusable members reported by the request that imported them', () => {
  it('reports the skipped count once, naming the request given to reportSkipped', async () => {
    const key = await generatePartyKey('ES256', 'usable');
    const reports: Array<[number, unknown]> = [];
    const keys = PartyKeys.lazy({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'off-curve' }, ...jwksOf(key).keys] }, (skipped, request) =>
      reports.push([skipped, request]),
    );
    keys.reportSkipped('before-import');
    expect(reports).toEqual([]); // nothing imported yet, nothing to say
    expect(await keys.resolver.resolve({ alg: 'ES256', kid: 'off-curve' })).toEqual({ unknownKid: true });
    expect(reports).toEqual([]); // the engine has no request to name: the caller reports
    keys.reportSkipped({ id: 'req-1' });
    keys.reportSkipped({ id: 'req-2' });
    expect(reports).toEqual([[1, { id: 'req-1' }]]);
  });

  it('says nothing when every member imported', async () => {
    const reports: number[] = [];
    const keys = PartyKeys.lazy(jwksOf(await generatePartyKey('ES256', 'one')), (skipped) => reports.push(skipped));
    await keys.all();
    keys.reportSkipped('req-3');
    expect(reports).toEqual([]);
  });
});
