/**
 * Which network destinations an outbound fetch (JWKS, discovery) may reach: only global
 * unicast addresses. Loopback, private, link-local, multicast, unspecified, reserved,
 * carrier-grade NAT, unique-local and the IPv6 forms that embed an IPv4 address are
 * refused (SSRF defence). The ranges come from ipaddr.js, not from hand-written lists;
 * anything it does not call `unicast` is refused (fail closed).
 */
import ipaddr from 'ipaddr.js';

export interface AddressVerdict {
  allowed: boolean;
  /** ipaddr.js's name of the range (`unicast`, `loopback`, `private`, ...), or `invalid`. */
  range: string;
}

export function classifyAddress(address: string): AddressVerdict {
  const literal = address.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(literal)) return { allowed: false, range: 'invalid' };
  // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into its IPv4 address.
  const range = ipaddr.process(literal).range();
  return { allowed: range === 'unicast', range };
}

export class DestinationNotAllowedError extends Error {
  readonly code = 'destination_not_allowed';
  constructor(readonly address: string) {
    super(`destination ${address} is not allowed`);
    this.name = 'DestinationNotAllowedError';
  }
}

/** Throws unless `address` is a public unicast address. */
export function assertAllowedAddress(address: string): void {
  if (!classifyAddress(address).allowed) throw new DestinationNotAllowedError(address.replace(/^\[(.*)\]$/, '$1'));
}
