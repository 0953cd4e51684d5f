import { planRotation, type KeyState, type RotationAction, type RotationPolicy } from './key-rotation-plan';

const policy: RotationPolicy = { rotationSeconds: 1000, publishAheadSeconds: 100, retentionSeconds: 400 };
const at = (seconds: number) => new Date(seconds * 1000);
const active = (kid: string, activatedAt: number): KeyState => ({ kid, status: 'active', createdAt: at(activatedAt), activatedAt: at(activatedAt), expiresAt: null });
const next = (kid: string, createdAt: number): KeyState => ({ kid, status: 'next', createdAt: at(createdAt), activatedAt: null, expiresAt: null });
const retired = (kid: string, expiresAt: number): KeyState => ({ kid, status: 'retired', createdAt: at(0), activatedAt: at(0), expiresAt: at(expiresAt) });

describe('planRotation', () => {
  const cases: Array<[string, KeyState[], number, boolean, RotationAction[]]> = [
    ['first start: create an active key', [], 10, false, [{ kind: 'create', status: 'active' }]],
    ['no active but a next key: promote it', [next('n', 5)], 10, false, [{ kind: 'promote', kid: 'n' }]],
    ['active key early in its period: nothing', [active('a', 0)], 899, false, []],
    ['publish-ahead window opens: create next', [active('a', 0)], 900, false, [{ kind: 'create', status: 'next' }]],
    ['next exists, period not over: nothing', [active('a', 0), next('n', 900)], 999, false, []],
    ['period over, next propagated: promote and retire', [active('a', 0), next('n', 900)], 1000, false, [{ kind: 'promote', kid: 'n', retireKid: 'a' }]],
    ['period over but next too fresh: wait', [active('a', 0), next('n', 950)], 1000, false, []],
    ['next fresh key propagated later: promote', [active('a', 0), next('n', 950)], 1050, false, [{ kind: 'promote', kid: 'n', retireKid: 'a' }]],
    ['period long over, no next (service was down): create next, not promote', [active('a', 0)], 5000, false, [{ kind: 'create', status: 'next' }]],
    ['retired key still within retention: kept', [active('b', 1000), retired('a', 1400)], 1399, false, []],
    ['retired key past retention: deleted', [active('b', 1000), retired('a', 1400)], 1400, false, [{ kind: 'delete', kid: 'a' }]],
    ['forced with a next key: promote at once', [active('a', 0), next('n', 990)], 995, true, [{ kind: 'promote', kid: 'n', retireKid: 'a' }]],
    ['forced without a next key: create and promote', [active('a', 0)], 10, true, [{ kind: 'create_and_promote', retireKid: 'a' }]],
  ];

  it.each(cases)('%s', (_name, keys, now, forced, expected) => {
    expect(planRotation(keys, at(now), policy, forced)).toEqual(expected);
  });

  it('an active key of another algorithm than configured is rotated out through a published next key', () => {
    const es256 = { ...active('a', 0), alg: 'ES256' };
    const eddsa = { ...policy, algorithm: 'EdDSA' };
    expect(planRotation([es256], at(10), eddsa)).toEqual([{ kind: 'create', status: 'next' }]);
    expect(planRotation([es256, { ...next('n', 10), alg: 'EdDSA' }], at(109), eddsa)).toEqual([]);
    expect(planRotation([es256, { ...next('n', 10), alg: 'EdDSA' }], at(110), eddsa)).toEqual([{ kind: 'promote', kid: 'n', retireKid: 'a' }]);
    expect(planRotation([es256], at(10), { ...policy, algorithm: 'ES256' })).toEqual([]);
  });

  it('caps the publish-ahead margin at half the rotation period', () => {
    const shortPolicy = { rotationSeconds: 100, publishAheadSeconds: 3600, retentionSeconds: 10 };
    expect(planRotation([active('a', 0)], at(49), shortPolicy)).toEqual([]);
    expect(planRotation([active('a', 0)], at(50), shortPolicy)).toEqual([{ kind: 'create', status: 'next' }]);
  });
});
