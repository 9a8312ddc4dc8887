// Which address is the client? The socket's peer, unless that peer is one of
// the configured reverse proxies; then X-Forwarded-For is read from the right,
// skipping our own proxies, and the first address we did not add ourselves is
// the client. Everything left of it was written by the client and is ignored
// (OWASP "Forwarded headers": only the hops you control are trustworthy).

import { BlockList, isIP } from 'node:net';

export interface TrustedProxies {
  has(ip: string): boolean;
}

/** "10.0.0.0/8", "::1", "192.168.1.7" → the network, or null when not one. */
export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = value.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  // The list never changes, and the asker is nearly always the same proxy (forward-auth asks on
  // every request it forwards): the last answer is kept, one entry, so nothing grows.
  let last: { ip: string; trusted: boolean } = { ip: '', trusted: false };
  return {
    has(ip) {
      if (ip === last.ip) return last.trusted;
      const version = isIP(ip);
      const trusted = version !== 0 && list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
      last = { ip, trusted };
      return trusted;
    },
  };
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 client it stands for. */
export function normalizeIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/**
 * What per-IP limits count: an IPv4 address as it is, an IPv6 address by its
 * /64. A /64 is one subscriber's network and any host in it can take any of its
 * 2^64 addresses, so counting single IPv6 addresses would let one client rotate
 * past every per-IP limit (RFC 6177; the usual practice of rate limiters).
 */
export function rateLimitSubject(ip: string | null): string | null {
  if (ip === null || isIP(ip) !== 6) return ip;
  return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
}

/**
 * The network a client is in, for the per-network share of the hourly mail
 * budget (issue #12 finding 6): IPv4 by its /24, IPv6 by its /48 (the usual
 * assignment to one site, RFC 6177). One requester rarely holds more than one.
 */
export function networkSubject(ip: string | null): string | null {
  if (ip === null) return null;
  const version = isIP(ip);
  if (version === 4) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (version === 6) return `${expandIpv6(ip).slice(0, 3).join(':')}::/48`;
  return ip;
}

/** The eight hextets of a valid IPv6 address, without leading zeros (zone dropped, a trailing dotted quad folded in). */
function expandIpv6(ip: string): string[] {
  let text = ip.split('%')[0] ?? '';
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((hextet) => parseInt(hextet, 16).toString(16));
}

export function clientIp(socketIp: string | null, forwardedFor: string | null, proxies: TrustedProxies): string | null {
  if (socketIp === null) return null;
  let ip = normalizeIp(socketIp);
  if (!forwardedFor || !proxies.has(ip)) return ip;
  const hops = forwardedFor.split(',').map((hop) => normalizeIp(hop));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    // A malformed hop means someone wrote the header by hand: stop at the last address we can vouch for.
    if (isIP(hop) === 0) return ip;
    ip = hop;
    if (!proxies.has(hop)) return hop;
  }
  return ip;
}
