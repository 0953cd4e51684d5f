import { parseMaxAge } from './outbound-fetcher';

describe('parseMaxAge (Cache-Control, RFC 9111 §5.2.2)', () => {
  it.each([
    [null, null],
    ['', null],
    ['public', null],
    ['max-age=600', 600],
    ['public, max-age=300, must-revalidate', 300],
    ['MAX-AGE=42', 42],
    ['max-age="120"', 120],
    ['max-age=abc', null],
    ['max-age=-5', null],
    ['no-store', 0],
    ['no-cache, max-age=600', 0],
    ['s-maxage=100', null],
  ])('%j -> %j', (header, expected) => {
    expect(parseMaxAge(header)).toBe(expected);
  });
});
