// A real Latchkey mounted in a real framework, over real HTTP on a random port,
// with mail read back from a real SMTP server; and the sign-in stories every
// adapter must pass, told as the browser and the API client would.
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLatchkey, type CreateLatchkeyOptions, type Latchkey } from '../../src/latchkey.ts';
import { Client, tokenFrom } from '../support/http-client.ts';
import { RELAXED_IP_LIMITS } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

/** Where a sign-in story runs: a browser or API client for the server, and the text of the newest mail to an address. */
export interface SignInTarget {
  client(): Client;
  mailText(email: string): Promise<string>;
}

export interface MountedServer extends SignInTarget {
  latchkey: Latchkey;
  url: string;
  sink: SmtpSink;
  close(): Promise<void>;
}

/**
 * Binds first (the base URL names the real port), then hands the Latchkey to
 * `mount`, which builds the framework's app around it and returns its Node
 * request listener, and `cleanup` to stop the framework.
 */
export async function startMounted(
  mount: (latchkey: Latchkey) => Promise<{ listener: RequestListener; cleanup?: () => Promise<void> }>,
  options: Partial<CreateLatchkeyOptions> = {},
): Promise<MountedServer> {
  const server: Server = createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sink = await startSmtpSink();
  const latchkey = await createLatchkey({
    databaseUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-adapter-')), 'latchkey.db')}`,
    secret: 'test-secret-that-is-long-enough-0123456789',
    logger: pino({ level: 'silent' }),
    smtpUrl: sink.url,
    ...options,
    limits: { ...RELAXED_IP_LIMITS, ...options.limits },
    baseUrl: url,
  });
  const { listener, cleanup } = await mount(latchkey);
  server.removeAllListeners('request');
  server.on('request', listener);
  return {
    latchkey,
    url,
    sink,
    client: () => new Client(url),
    mailText: async (email) => (await sink.waitFor((message) => message.to === email)).text,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cleanup?.();
      await latchkey.close();
      await sink.close();
    },
  };
}

let counter = 0;
export const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

/** An API client: the JSON sign-in (request, token from the mail, verify), then its session. Returns the signed-in client. */
export async function signInWithJson(server: SignInTarget, email = uniqueEmail('json')): Promise<Client> {
  const client = server.client();
  const requested = await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
  assert.equal(requested.status, 202, `sign-in request answered ${requested.status}: ${await requested.clone().text()}`);
  const token = tokenFrom(await server.mailText(email));
  const verified = await client.request('/auth/verify', { method: 'POST', json: { token } });
  assert.equal(verified.status, 200, `verify answered ${verified.status}: ${await verified.clone().text()}`);
  assert.equal(((await verified.json()) as { user: { email: string } }).user.email, email);
  const session = await client.request('/auth/session');
  assert.equal(session.status, 200);
  assert.equal(((await session.json()) as { user: { email: string } }).user.email, email);
  return client;
}

/**
 * A browser on the hosted pages: the sign-in form (with the CSRF token of a
 * real page), the link from the mail, the confirm form; it lands on
 * `redirectTo` signed in. Returns the browser.
 */
export async function signInWithForms(server: SignInTarget, options: { email?: string; redirectTo?: string } = {}): Promise<Client> {
  const email = options.email ?? uniqueEmail('form');
  const browser = server.client();
  const form: Record<string, string> = { email, typoChecked: '1' };
  if (options.redirectTo) form.redirectTo = options.redirectTo;
  const requested = await browser.request('/auth/sign-in/email', { method: 'POST', form });
  assert.equal(requested.status, 303, `sign-in form answered ${requested.status}: ${await requested.clone().text()}`);
  assert.equal(requested.headers.get('location'), '/auth/check-email');
  const token = tokenFrom(await server.mailText(email));
  const page = await browser.request(`/auth/verify?token=${token}`, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<form[^>]+action="\/auth\/verify"/);
  const confirmed = await browser.request('/auth/verify', { method: 'POST', form: { token } });
  assert.equal(confirmed.status, 303, `confirm form answered ${confirmed.status}: ${await confirmed.clone().text()}`);
  assert.equal(confirmed.headers.get('location'), options.redirectTo ?? '/auth/account');
  assert.ok(browser.cookies.has('latchkey_session'), 'the browser holds a session cookie');
  return browser;
}

/** What requireSession does for a protected path: 303 to the sign-in page for a browser, 401 JSON for anything else. */
export async function assertGuarded(server: SignInTarget, path: string): Promise<void> {
  const stranger = server.client();
  const navigation = await stranger.request(path, { headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(navigation.status, 303);
  assert.equal(navigation.headers.get('location'), `/auth/sign-in?redirectTo=${encodeURIComponent(path)}`);
  const api = await stranger.request(path, { headers: { accept: 'application/json' } });
  assert.equal(api.status, 401);
  assert.equal(api.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await api.json(), { error: { code: 'unauthenticated', message: 'You are not signed in.', requestId: null } });
}
