import { isIPv4, isIPv6 } from 'node:net';

/**
 * A client address reduced so that it no longer identifies one person: IPv4 keeps its /24
 * (a.b.c.0), IPv6 its /48. Good enough to spot abuse from a network, useless to track a user.
 */
export function maskAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0`;
  if (isIPv6(address)) {
    const head = address.split('::')[0]!.split(':').filter((g) => g !== '');
    return `${[...head, '0', '0', '0'].slice(0, 3).join(':')}::`;
  }
  return 'unknown';
}
