// Forward-auth behind real proxies (issue #16): Latchkey on its own port, a
// small upstream app that echoes the headers it receives, the SMTP sink, and
// nginx or Caddy as a child process running the config the docs show
// (docs/forward-auth/), with names and ports replaced and every path it writes
// in a temporary folder (no root needed).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { pino } from 'pino';
import { createLatchkey, type Latchkey } from '../../src/latchkey.ts';
import type { Store } from '../../src/store/store.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';

export const DOCS = join(import.meta.dirname, '../../docs/forward-auth');
/** Loopback names (RFC 6761): Chromium resolves them and treats them as secure contexts; no DNS. */
export const AUTH_HOST = 'auth.example.localhost';
export const APP_HOST = 'app.example.localhost';
export const OTHER_HOST = 'other.example.localhost';
export const COOKIE_DOMAIN = 'example.localhost';

/** Skip outside CI when the binary is missing; under CI=true a missing proxy fails the suite. */
export function proxyMissing(binary: string, name: string): string | false {
  if (existsSync(binary)) return false;
  const reason = `${name} not found at ${binary}; forward-auth ${name} suite skipped (apt-get install ${name.toLowerCase()})`;
  if (process.env.CI === 'true') throw new Error(`${reason}; it is required when CI=true`);
  return reason;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Upstream {
  port: number;
  /** Every request the app received: its method, URL and headers. */
  seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** The protected app: answers 200 with the headers it received, as JSON (and a page for browsers). */
export async function startUpstream(): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const body = JSON.stringify({ url: req.url, headers: req.headers });
    if ((req.headers.accept ?? '').includes('text/html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>App</title><h1>App</h1><p id="who">${String(req.headers['remote-email'] ?? 'nobody')}</p><pre>${req.url}</pre>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

export const RULES = {
  rules: [
    { host: APP_HOST, path: '/admin', allow: ['ada@example.org'] },
    { host: APP_HOST, allow: ['@example.org'] },
  ],
};

export interface Stack {
  latchkey: Latchkey;
  store: Store;
  sink: SmtpSink;
  upstream: Upstream;
  /** The proxy's port: both hosts are served there. */
  proxyPort: number;
  latchkeyPort: number;
  close(): Promise<void>;
}

/** Latchkey on its own port, its base URL the auth host on the proxy's port (LATCHKEY_COOKIE_DOMAIN=example.localhost). */
export async function startStack(proxyPort: number, rules: unknown = RULES): Promise<Omit<Stack, 'close'> & { stop(): Promise<void> }> {
  const sink = await startSmtpSink();
  const upstream = await startUpstream();
  const store = (await sqliteBackend.open())!;
  const latchkey = await createLatchkey({
    store,
    baseUrl: `http://${AUTH_HOST}:${proxyPort}`,
    cookieDomain: COOKIE_DOMAIN,
    trustedProxies: ['127.0.0.1'],
    accessRules: rules,
    smtpUrl: sink.url,
    secret: 'test-secret-that-is-long-enough-0123456789',
    logger: pino({ level: 'silent' }),
    limits: { mailsPerIpPerHour: 1_000_000, mailsPerHour: 1_000_000, verifyAttemptsPerIpPer5Minutes: 1_000_000 },
  });
  const server: ServerType = serve({ fetch: latchkey.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const latchkeyPort = (server.address() as AddressInfo).port;
  return {
    latchkey,
    store,
    sink,
    upstream,
    proxyPort,
    latchkeyPort,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await latchkey.close();
      await store.close();
      await upstream.close();
      await sink.close();
    },
  };
}

/**
 * The whole scene on a free port: Latchkey, the upstream app and the SMTP sink
 * (startStack) behind a running proxy; close() stops all of it, the proxy first.
 */
export async function startBehindProxy(startProxy: (stack: Omit<Stack, 'close'>) => Promise<Proxy>, rules: unknown = RULES): Promise<Stack> {
  const stack = await startStack(await freePort(), rules);
  let proxy: Proxy;
  try {
    proxy = await startProxy(stack);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  const { stop, ...parts } = stack;
  return {
    ...parts,
    async close() {
      await proxy.close();
      await stop();
    },
  };
}

/** A docs template with the example names and ports replaced by the test's. */
export function fromTemplate(file: string, stack: Pick<Stack, 'proxyPort' | 'latchkeyPort' | 'upstream'>, listen: (line: string) => string = (s) => s): string {
  return readFileSync(join(DOCS, file), 'utf8')
    .replaceAll('auth.example.com', AUTH_HOST)
    .replaceAll('app.example.com', APP_HOST)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${stack.latchkeyPort}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${stack.upstream.port}`)
    .split('\n')
    .map(listen)
    .join('\n');
}

export interface Proxy {
  close(): Promise<void>;
}

/** Runs a proxy in the foreground until close; resolves once its port answers. */
export async function runProxy(command: string, args: string[], port: number, folder: string, log: () => string): Promise<Proxy> {
  const child: ChildProcess = spawn(command, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: folder, XDG_DATA_HOME: folder, XDG_CONFIG_HOME: folder } });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}):\n${output}\n${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', method: 'HEAD', headers: { host: 'probe.invalid' } }, (res) => (res.resume(), resolve(true)));
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) break;
    if (i > 100) throw new Error(`${command} did not listen on ${port}:\n${output}\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    async close() {
      // Our own child, by its handle.
      child.kill('SIGTERM');
      await exited;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export async function startNginx(stack: Pick<Stack, 'proxyPort' | 'latchkeyPort' | 'upstream'>): Promise<Proxy> {
  const folder = mkdtempSync(join(tmpdir(), 'latchkey-nginx-'));
  const site = fromTemplate('nginx.conf', stack, (line) => line.replace(/^(\s*)listen 80;/, `$1listen 127.0.0.1:${stack.proxyPort};`));
  writeFileSync(join(folder, 'site.conf'), site);
  writeFileSync(
    join(folder, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${folder}/nginx.pid;`,
      `error_log ${folder}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${folder}/${kind};`),
      `  include ${folder}/site.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const log = () => (existsSync(join(folder, 'error.log')) ? readFileSync(join(folder, 'error.log'), 'utf8') : '');
  return runProxy(NGINX, ['-e', join(folder, 'error.log'), '-p', folder, '-c', join(folder, 'nginx.conf')], stack.proxyPort, folder, log);
}

export async function startCaddy(stack: Pick<Stack, 'proxyPort' | 'latchkeyPort' | 'upstream'>): Promise<Proxy> {
  const folder = mkdtempSync(join(tmpdir(), 'latchkey-caddy-'));
  // Plain http on the test port: the site addresses get a scheme and port, and no certificates are asked for.
  const site = fromTemplate('Caddyfile', stack, (line) => line.replace(/^([a-z.]+\.example\.localhost) \{$/, `http://$1:${stack.proxyPort} {`));
  writeFileSync(join(folder, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${folder}/data\n}\n\n${site}`);
  return runProxy(CADDY, ['run', '--config', join(folder, 'Caddyfile'), '--adapter', 'caddyfile'], stack.proxyPort, folder, () => '');
}

export const NGINX = process.env.LATCHKEY_NGINX ?? '/usr/sbin/nginx';
export const CADDY = process.env.LATCHKEY_CADDY ?? '/usr/bin/caddy';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP/1.1 request, so the target and Host can carry what node:http refuses ('#'); the whole answer as text. */
export function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(lines.join('\r\n') + '\r\n\r\n'));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (out += chunk));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

/** One request to the proxy, as a client would send it to this host (no redirects followed). */
export function send(port: number, host: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `${host}:${port}`, ...options.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Signs in through the proxy's auth host by the JSON API and the mailed link.
 * `cookie`: what a browser sends to a protected app (the domain-wide proxy
 * cookie); `session`: what it sends to the auth host (the host-only session
 * cookie and the proxy cookie); `setCookie`: the proxy cookie's Set-Cookie.
 */
export async function signIn(stack: Pick<Stack, 'proxyPort' | 'sink'>, email: string): Promise<{ cookie: string; session: string; setCookie: string }> {
  const asked = await send(stack.proxyPort, AUTH_HOST, '/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  if (asked.status !== 202) throw new Error(`sign-in request answered ${asked.status}: ${asked.body}`);
  const message = await stack.sink.waitFor((m) => m.to === email);
  const token = /\/auth\/verify\?token=([A-Za-z0-9_-]{43})/.exec(message.text)?.[1];
  if (!token) throw new Error('no link in the mail');
  stack.sink.messages.splice(stack.sink.messages.indexOf(message), 1);
  const verified = await send(stack.proxyPort, AUTH_HOST, '/auth/verify', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (verified.status !== 200) throw new Error(`verify answered ${verified.status}: ${verified.body}`);
  const lines = verified.headers['set-cookie'] ?? [];
  const session = lines.find((line) => line.startsWith('latchkey_session='));
  const setCookie = lines.find((line) => line.startsWith('latchkey_proxy='));
  if (!session || !setCookie) throw new Error(`no session or proxy cookie: ${JSON.stringify(lines)}`);
  return { cookie: setCookie.split(';')[0]!, session: `${session.split(';')[0]!}; ${setCookie.split(';')[0]!}`, setCookie };
}
