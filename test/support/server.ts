// Starts a real Latchkey over real HTTP on a random port, for tests.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createLatchkey, type CreateLatchkeyOptions, type Latchkey } from '../../src/latchkey.ts';
import type { Store } from '../../src/store/store.ts';
import { Client } from './http-client.ts';

export interface TestServer {
  latchkey: Latchkey;
  url: string;
  client(userAgent?: string): Client;
  close(): Promise<void>;
}

/** A clock tests can move forward without sleeping. */
export class TestClock {
  offsetMs = 0;
  now = (): number => Date.now() + this.offsetMs;
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

/**
 * Every test client is 127.0.0.1, so the per-IP and global buckets are relaxed
 * unless a test sets them (test/security does); per-address limits keep their defaults.
 */
export const RELAXED_IP_LIMITS = { mailsPerIpPerHour: 1_000_000, mailsPerHour: 1_000_000, verifyAttemptsPerIpPer5Minutes: 1_000_000 };

/** `host: 'localhost'`: a base URL with a name rather than an IP address (passkeys need one, issue #17). */
export async function startTestServer(options: CreateLatchkeyOptions & { store: Store; host?: 'localhost' }): Promise<TestServer> {
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    // Bind first, so the base URL (used to build links) names the real port.
    server = serve({ fetch: () => new Response(null, { status: 503 }), port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const { host: _host, ...rest } = options;
  const latchkey = await createLatchkey({
    secret: 'test-secret-that-is-long-enough-0123456789',
    logger: pino({ level: 'silent' }),
    ...rest,
    limits: { ...RELAXED_IP_LIMITS, ...options.limits },
    baseUrl: url,
  });
  // Swap the placeholder handler for the real app on the same listening socket.
  server!.removeAllListeners('request');
  const { getRequestListener } = await import('@hono/node-server');
  server!.on('request', getRequestListener((request, env) => latchkey.app.fetch(request, env)));
  return {
    latchkey,
    url,
    client: (userAgent) => new Client(url, userAgent),
    close: async () => {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await latchkey.close();
    },
  };
}

export function serverAddress(server: ServerType): number {
  return (server.address() as AddressInfo).port;
}
