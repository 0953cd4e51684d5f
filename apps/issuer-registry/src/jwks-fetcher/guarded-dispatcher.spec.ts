import type { LookupAddress } from 'node:dns';
import { DestinationNotAllowedError } from './destination-address';
import { guardedLookup } from './guarded-dispatcher';

function lookup(hostname: string, all: boolean): Promise<{ error: Error | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) => guardedLookup(hostname, { all }, (error, address) => resolve({ error, address })));
}

describe('guardedLookup (the DNS step of every outbound connection)', () => {
  it.each([true, false])('refuses a name that resolves to loopback (all=%s)', async (all) => {
    const { error } = await lookup('localhost', all);
    expect(error).toBeInstanceOf(DestinationNotAllowedError);
    expect(error!.message).toMatch(/^destination (127\.0\.0\.1|::1) is not allowed$/);
  });

  it('refuses an IPv4 literal in a private range', async () => {
    expect((await lookup('10.1.2.3', false)).error).toBeInstanceOf(DestinationNotAllowedError);
  });

  it('answers a public address in the shape the caller asked for', async () => {
    const single = await lookup('8.8.8.8', false);
    expect(single).toEqual({ error: null, address: '8.8.8.8' });
    const all = await lookup('8.8.8.8', true);
    expect(all).toEqual({ error: null, address: [{ address: '8.8.8.8', family: 4 }] });
  });
});
