import { keySlot, markerKeyBeside } from './replication-barrier';
import { RedisKeyspace } from './redis-keyspace';

/** The hash tag Redis Cluster hashes: the part between the first `{` and the next `}`, if not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('RedisKeyspace', () => {
  it('keeps the names of a single Redis unchanged', () => {
    const keys = new RedisKeyspace('tb', false);
    expect(keys.queuePrefix).toBe('tb');
    expect(keys.key('jti:grant:ab')).toBe('tb:jti:grant:ab');
    expect(keys.group('revoked')).toBe('tb:revoked');
  });

  it('tags what must share a slot on a cluster, and only that', () => {
    const keys = new RedisKeyspace('tb', true);
    expect(keys.queuePrefix).toBe('{tb}');
    expect(hashTag(`${keys.queuePrefix}:audit-events:wait`)).toBe(hashTag(`${keys.queuePrefix}:audit-events:meta`));
    const stem = keys.group('revoked');
    expect(hashTag(`${stem}:some-jti`)).toBe(hashTag(`${stem}-sync`));
    expect(hashTag(`${stem}:some-jti`)).toBe('tb:revoked');
    expect(hashTag(keys.key('jti:grant:ab'))).toBe('tb:jti:grant:ab');
  });
});

describe('keySlot', () => {
  it('is the slot Redis Cluster computes (CLUSTER KEYSLOT), hash tags included', () => {
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('{foo}:anything')).toBe(12182);
    // An empty tag is no tag: the whole key is hashed (values from CLUSTER KEYSLOT, Redis 7.0).
    expect(keySlot('{}foo')).toBe(9500);
    expect(keySlot('a{}{b}')).toBe(15033);
    expect(keySlot('{tb}x')).toBe(2169);
    expect(keySlot('{tb}:audit-events:wait')).toBe(keySlot('{tb}:audit-events:meta'));
  });
});

describe('markerKeyBeside (the WAIT round\'s marker)', () => {
  it('is in the slot of the key it covers, under the same prefix', () => {
    for (const key of ['tb:{replay:3}:jti:grant:i:ab', '{tb}:audit-events:123', '{tb:revoked}:some-jti']) {
      expect(keySlot(markerKeyBeside(key, true))).toBe(keySlot(key));
    }
    expect(markerKeyBeside('tb:{replay:3}:jti:grant:i:ab', true)).toBe('tb:{replay:3}:replication-barrier');
    expect(keySlot(markerKeyBeside('tb:untagged:key', true))).toBe(keySlot('tb:untagged:key'));
    expect(markerKeyBeside('tb:revoked:some-jti', false)).toBe('tb:replication-barrier');
  });
});
