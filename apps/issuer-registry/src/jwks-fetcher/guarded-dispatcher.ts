/**
 * An undici dispatcher whose DNS lookup refuses non-public addresses. The check runs on
 * the address the socket then connects to (no time-of-check/time-of-use gap between a
 * separate resolution and the connection). IP-literal hosts skip DNS in Node, so the
 * fetcher checks those itself before connecting.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import { classifyAddress, DestinationNotAllowedError } from './destination-address';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((entry) => !classifyAddress(entry.address).allowed);
    // One refused address refuses the name: a name that mixes public and private addresses is an attack.
    if (refused) return callback(new DestinationNotAllowedError(refused.address) as NodeJS.ErrnoException, []);
    if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    return callback(null, first.address, first.family);
  });
}

export function createOutboundDispatcher(allowPrivateNetworks: boolean, timeoutMs: number): Agent {
  return new Agent({
    connect: allowPrivateNetworks ? { timeout: timeoutMs } : { timeout: timeoutMs, lookup: guardedLookup as never },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // One request per connection: a kept-alive socket must not outlive the check of its address.
    pipelining: 0,
    keepAliveTimeout: 1,
  });
}
