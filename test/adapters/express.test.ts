// Latchkey mounted in a real Express app (issue #14), Express 5 and Express 4
// (the devDependency alias express4): a full sign-in by JSON and by the hosted
// pages' forms behind every common body-parser set-up, under a mount path, and
// requireSession guarding the app's own page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express5, { type RequestHandler } from 'express';
import express4 from 'express4';
import { latchkeyExpress, requireSession } from '../../src/adapters/express.ts';
import type { Latchkey } from '../../src/latchkey.ts';
import { en } from '../../src/i18n/en.ts';
import { errorCode } from '../support/http-client.ts';
import { assertGuarded, signInWithForms, signInWithJson, startMounted, type MountedServer } from './harness.ts';

/** Express 4 is typed with Express 5's types here: the calls below are the same in both. */
type Express = typeof express5;

const VERSIONS: Record<string, Express> = { '5': express5, '4': express4 };

for (const [version, express] of Object.entries(VERSIONS)) {
  /** An Express app as people write it: `parsers` first (or not), Latchkey at `mountPath`, then a protected page. */
  function expressApp(express: Express, latchkey: Latchkey, parsers: RequestHandler[], mountPath?: string) {
    const app = express();
    for (const parser of parsers) app.use(parser);
    if (mountPath) app.use(mountPath, latchkeyExpress(latchkey));
    else app.use(latchkeyExpress(latchkey));
    app.get('/', (_req, res) => {
      res.send('home of the app');
    });
    app.get('/dashboard', requireSession(latchkey), (req, res) => {
      res.send(`dashboard of ${req.latchkey!.user.email}`);
    });
    app.post('/api/echo', requireSession(latchkey), (req, res) => {
      res.json({ body: req.body ?? null, user: req.latchkey!.user.email });
    });
    return app;
  }

  function mountExpress(parsers: () => RequestHandler[], mountPath?: string) {
    return startMounted(async (latchkey) => ({ listener: expressApp(express, latchkey, parsers(), mountPath) }));
  }

  const PARSER_SETUPS: Record<string, () => RequestHandler[]> = {
    'no body parser': () => [],
    'express.json()': () => [express.json()],
    'express.urlencoded()': () => [express.urlencoded()],
    'express.json() and express.urlencoded({ extended: true })': () => [express.json(), express.urlencoded({ extended: true })],
    "express.raw({ type: '*/*' })": () => [express.raw({ type: '*/*' })],
    "express.text({ type: '*/*' })": () => [express.text({ type: '*/*' })],
  };

  for (const [setup, parsers] of Object.entries(PARSER_SETUPS)) {
    describe(`Express ${version} with ${setup} before Latchkey`, () => {
      let server: MountedServer;
      before(async () => (server = await mountExpress(parsers)));
      after(() => server.close());

      it('signs in with JSON', async () => {
        await signInWithJson(server);
      });

      it('signs in on the hosted pages (forms with the CSRF token of a real page), and lands back on the protected page', async () => {
        const browser = await signInWithForms(server, { redirectTo: '/dashboard' });
        const page = await browser.request('/dashboard', { headers: { accept: 'text/html' } });
        assert.equal(page.status, 200);
        assert.match(await page.text(), /^dashboard of form\./);
      });
    });
  }

  describe(`Express ${version}: the app around Latchkey`, () => {
    let server: MountedServer;
    before(async () => (server = await mountExpress(() => [express.json(), express.urlencoded()])));
    after(() => server.close());

    it('keeps its own paths: its home page, and its JSON parser for its own routes', async () => {
      const home = await server.client().request('/');
      assert.equal(home.status, 200);
      assert.equal(await home.text(), 'home of the app');
      const api = await signInWithJson(server);
      const echo = await api.request('/api/echo', { method: 'POST', json: { hello: 'world' } });
      assert.equal(echo.status, 200);
      assert.deepEqual(((await echo.json()) as { body: unknown }).body, { hello: 'world' });
    });

    it('requireSession: a browser is sent to sign in (and back), an API client gets 401 JSON, a signed-in one goes through', async () => {
      await assertGuarded(server, '/dashboard?tab=2');
      const post = await server.client().request('/api/echo', { method: 'POST', json: {}, headers: { accept: 'text/html' } });
      assert.equal(post.status, 401, 'only a navigation (GET) is redirected');
      const browser = await signInWithForms(server, { redirectTo: '/dashboard?tab=2' });
      assert.equal((await browser.request('/dashboard?tab=2')).status, 200);
    });

    it('sends its own client IP: the session records the socket peer', async () => {
      const client = await signInWithJson(server);
      const sessions = await client.request('/auth/sessions');
      const listed = (await sessions.json()) as { sessions: { ip: string | null; current: boolean }[] };
      assert.equal(listed.sessions.find((s) => s.current)?.ip, '127.0.0.1');
    });
  });

  describe(`Express ${version}: a form express.urlencoded({ extended: true }) reshaped`, () => {
    let server: MountedServer;
    before(async () => (server = await mountExpress(() => [express.urlencoded({ extended: true })])));
    after(() => server.close());

    it('reaches Latchkey as sent: a repeated or bracketed field is refused, not flattened into an address', async () => {
      const browser = server.client();
      const csrf = await browser.csrfToken();
      for (const body of [`email=a%40example.com&email=b%40example.com&csrf=${csrf}`, `email%5Bx%5D=a%40example.com&csrf=${csrf}`]) {
        const response = await browser.request('/auth/sign-in/email', {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        });
        assert.equal(response.status, 400, body);
        assert.equal(await errorCode(response), 'invalid_request');
      }
      assert.equal(server.sink.messages.length, 0, 'no mail went out');
    });
  });

  describe(`Express ${version}: a body no adapter can rebuild`, () => {
    let server: MountedServer;
    // A middleware that reads the stream and leaves nothing behind (a logger, a signature check written by hand).
    const swallow: RequestHandler = (req, _res, next) => {
      req.on('data', () => {});
      req.on('end', () => next());
    };
    before(async () => (server = await mountExpress(() => [swallow])));
    after(() => server.close());

    it('is answered body_already_parsed, naming the cause and the fix, in JSON and on the page', async () => {
      const json = await server.client().request('/auth/sign-in/email', { method: 'POST', json: { email: 'someone@example.com' } });
      assert.equal(json.status, 500);
      const { error } = (await json.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'body_already_parsed');
      assert.match(error.message, /express\.json\(\)/);
      assert.match(error.message, /Mount Latchkey before the body parsers/);

      const browser = server.client();
      await browser.csrfToken(); // a GET: the page loads as ever
      const form = await browser.request('/auth/sign-in/email', { method: 'POST', form: { email: 'someone@example.com' } });
      assert.equal(form.status, 500);
      const page = await form.text();
      assert.match(page, /data-error-code="body_already_parsed"/);
      assert.ok(page.includes(en['error.body_already_parsed.title']));
      assert.doesNotMatch(page, /another website/);
    });
  });

  describe(`Express ${version}: Latchkey under a mount path`, () => {
    for (const mountPath of ['/auth', '/']) {
      describe(`app.use('${mountPath}', latchkeyExpress(latchkey))`, () => {
        let server: MountedServer;
        before(async () => (server = await mountExpress(() => [express.urlencoded()], mountPath)));
        after(() => server.close());

        it('serves its own paths (req.originalUrl) and signs in by JSON and by the forms', async () => {
          await signInWithJson(server);
          await signInWithForms(server);
          assert.equal((await server.client().request('/')).status, 200, 'the app keeps its home page');
        });
      });
    }

    it('inside a Router mounted at /auth', async () => {
      const server = await startMounted(async (latchkey) => {
        const app = express();
        const router = express.Router();
        router.use(latchkeyExpress(latchkey));
        app.use(express.json());
        app.use('/auth', router);
        return { listener: app };
      });
      try {
        await signInWithJson(server);
        await signInWithForms(server);
      } finally {
        await server.close();
      }
    });
  });
}
