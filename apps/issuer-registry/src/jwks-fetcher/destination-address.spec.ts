import { assertAllowedAddress, classifyAddress, DestinationNotAllowedError } from './destination-address';

describe('classifyAddress', () => {
  it.each([
    // [address, allowed, range]
    ['8.8.8.8', true, 'unicast'],
    ['93.184.216.34', true, 'unicast'],
    ['2001:4860:4860::8888', true, 'unicast'],
    ['[2606:4700:4700::1111]', true, 'unicast'],
    ['127.0.0.1', false, 'loopback'],
    ['127.255.255.254', false, 'loopback'],
    ['::1', false, 'loopback'],
    ['[::1]', false, 'loopback'],
    ['10.0.0.1', false, 'private'],
    ['172.16.5.4', false, 'private'],
    ['192.168.1.1', false, 'private'],
    ['169.254.169.254', false, 'linkLocal'],
    ['fe80::1', false, 'linkLocal'],
    ['224.0.0.1', false, 'multicast'],
    ['ff02::1', false, 'multicast'],
    ['0.0.0.0', false, 'unspecified'],
    ['::', false, 'unspecified'],
    ['255.255.255.255', false, 'broadcast'],
    ['100.64.0.1', false, 'carrierGradeNat'],
    ['192.0.2.10', false, 'reserved'],
    ['240.0.0.1', false, 'reserved'],
    ['fc00::1', false, 'uniqueLocal'],
    ['::ffff:127.0.0.1', false, 'loopback'],
    ['::ffff:10.0.0.1', false, 'private'],
    ['::ffff:8.8.8.8', true, 'unicast'],
    ['2002:7f00:1::1', false, '6to4'],
    ['64:ff9b::7f00:1', false, 'rfc6052'],
    ['2001::1', false, 'teredo'],
    ['localhost', false, 'invalid'],
    ['', false, 'invalid'],
    ['999.1.1.1', false, 'invalid'],
  ])('%s -> allowed=%s (%s)', (address, allowed, range) => {
    expect(classifyAddress(address)).toEqual({ allowed, range });
  });

  it('names the refused address in the error', () => {
    expect(() => assertAllowedAddress('[::1]')).toThrow(new DestinationNotAllowedError('::1'));
    expect(() => assertAllowedAddress('127.0.0.1')).toThrow('destination 127.0.0.1 is not allowed');
    expect(() => assertAllowedAddress('8.8.8.8')).not.toThrow();
  });
});
