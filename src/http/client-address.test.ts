import { describe, expect, it } from 'vitest';
import { maskAddress } from './client-address.js';

describe('maskAddress', () => {
  it('keeps only the /24 of an IPv4 address, mapped or not', () => {
    expect(maskAddress('203.0.113.77')).toBe('203.0.113.0');
    expect(maskAddress('::ffff:198.51.100.9')).toBe('198.51.100.0');
  });

  it('keeps only the /48 of an IPv6 address', () => {
    expect(maskAddress('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(maskAddress('2001:db8::1')).toBe('2001:db8:0::');
    expect(maskAddress('::1')).toBe('0:0:0::');
  });

  it('never passes through something that is not an address', () => {
    expect(maskAddress('not-an-ip')).toBe('unknown');
    expect(maskAddress(undefined)).toBeUndefined();
  });
});
