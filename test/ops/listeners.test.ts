// What a real `latchkey start` exposes, and to whom (issue #12 findings 9 and 14).
// 9: /metrics on the public listener enumerates accounts (a reset mail moves the
// sent counter for a real address only), so production refuses it unless a
// token guards it or it has a listener of its own. 14: a development server
// listens on loopback only unless HOST says otherwise, and the dev mailbox (every
// sign-in link, to whoever opens it) never serves a public base URL.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startInstance, type Instance } from '../cluster/harness.ts';
import { Client } from '../support/http-client.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh SQLite database and data directory: the environment every instance here shares. */
function baseEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-listeners-'));
  return { LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'lk.db')}`, LATCHKEY_DATA_DIR: dir, LATCHKEY_LOG_LEVEL: 'info' };
}

function productionEnv(smtpUrl: string): Record<string, string> {
  return { ...baseEnv(), NODE_ENV: 'production', LATCHKEY_BASE_URL: 'https://auth.example.com', LATCHKEY_SMTP_URL: smtpUrl, LATCHKEY_SECRET: 's'.repeat(40) };
}

async function stop(instance: Instance): Promise<void> {
  instance.kill('SIGTERM');
  await instance.exited;
}

/** The process must exit before it listens, saying why. */
async function refusesToStart(name: string, env: Record<string, string>, why: RegExp): Promise<void> {
  let started: Instance | null = null;
  await assert.rejects(async () => {
    started = await startInstance(name, env);
  }, why);
  if (started) await stop(started);
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** An address of this machine that is not loopback (what another host on the network would dial). */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && !entry.internal && entry.family === 'IPv4')?.address;

describe('/metrics in production (issue #12 finding 9)', () => {
  it('refuses to start with /metrics open on the public listener', async () => {
    const sink = await startSmtpSink();
    try {
      await refusesToStart('open-metrics', productionEnv(sink.url), /LATCHKEY_METRICS_TOKEN or LATCHKEY_METRICS_LISTEN: required/);
    } finally {
      await sink.close();
    }
  });

  it('LATCHKEY_METRICS_LISTEN: the public listener has no /metrics; the metrics listener has nothing else', async () => {
    const sink = await startSmtpSink();
    const metricsPort = await freePort();
    const instance = await startInstance('metrics-listener', { ...productionEnv(sink.url), LATCHKEY_METRICS_LISTEN: `127.0.0.1:${metricsPort}` });
    try {
      // The attacker's probe: ask for a reset, then read the counters on the public port.
      const attacker = new Client(instance.url);
      await attacker.request('/auth/password/forgot', { method: 'POST', json: { email: 'someone@example.com' } });
      assert.equal((await attacker.request('/metrics')).status, 404);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^latchkey_http_requests_total/m);
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/auth/sign-in`)).status, 404);
    } finally {
      await stop(instance);
      await sink.close();
    }
  });

  it('LATCHKEY_METRICS_TOKEN: /metrics on the public listener answers only with the bearer', async () => {
    const sink = await startSmtpSink();
    const token = 'metrics-token-0123456789abcdef';
    const instance = await startInstance('metrics-token', { ...productionEnv(sink.url), LATCHKEY_METRICS_TOKEN: token });
    try {
      assert.equal((await fetch(`${instance.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await stop(instance);
      await sink.close();
    }
  });
});

describe('the development server (issue #12 finding 14)', () => {
  it('listens on loopback only when HOST is not set', { skip: outside ? false : 'this machine has no non-loopback IPv4 address' }, async () => {
    const port = await freePort();
    const instance = await startInstance('dev-bind', { ...baseEnv(), HOST: '', PORT: String(port), LATCHKEY_BASE_URL: `http://localhost:${port}` });
    try {
      assert.equal(await accepts('127.0.0.1', port), true);
      assert.equal(await accepts(outside!, port), false, `reachable from the network at ${outside}:${port}`);
    } finally {
      await stop(instance);
    }
  });

  it('refuses to serve the dev mailbox for a base URL that is not loopback', async () => {
    await refusesToStart('dev-public-mailbox', { ...baseEnv(), LATCHKEY_BASE_URL: 'https://auth.example.com' }, /LATCHKEY_SMTP_URL: required when LATCHKEY_BASE_URL/);
  });

  it('still serves the dev mailbox on a loopback base URL', async () => {
    const port = await freePort();
    const instance = await startInstance('dev-mailbox', { ...baseEnv(), PORT: String(port), LATCHKEY_BASE_URL: `http://127.0.0.1:${port}` });
    try {
      assert.equal((await fetch(`${instance.url}/dev/mailbox`)).status, 200);
    } finally {
      await stop(instance);
    }
  });
});
