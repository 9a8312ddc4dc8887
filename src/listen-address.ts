// Who can reach an address: LATCHKEY_METRICS_LISTEN ("127.0.0.1:9464") and the
// loopback test of a base URL (issue #12 findings 9 and 14).
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:9464", "[::1]:9464", "metrics.internal:9464" → host and port; null when not that shape. */
export function parseListenAddress(value: string): ListenAddress | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]{1,253})):([0-9]{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!host || !(port >= 1 && port <= 65535) || (match?.[1] && isIP(host) !== 6)) return null;
  return { host, port };
}

/** A URL hostname only this machine reaches: localhost, 127.0.0.0/8, [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || (isIP(hostname) === 4 && hostname.startsWith('127.'));
}
