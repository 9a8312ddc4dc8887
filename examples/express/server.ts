// An Express app with a protected page; Latchkey signs people in on its hosted
// pages. From the repository root: node --conditions=latchkey-source examples/express/server.ts
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { createLatchkey } from 'latchkey';
import { latchkeyExpress, requireSession } from 'latchkey/express';

const port = Number(process.env.PORT ?? 3000);
// The embedded defaults: SQLite and a generated secret in a data folder, mail in the dev mailbox.
const dataDir = process.env.LATCHKEY_DATA_DIR ?? join(import.meta.dirname, 'data');
mkdirSync(dataDir, { recursive: true });
const latchkey = await createLatchkey({
  env: process.env,
  baseUrl: process.env.LATCHKEY_BASE_URL ?? `http://localhost:${port}`,
  dataDir,
  databaseUrl: process.env.LATCHKEY_DATABASE_URL ?? join(dataDir, 'latchkey.db'),
});

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><h1>${title}</h1>${body}`;

const app = express();
// The app's own form parser may come first: Latchkey reads the body it left behind.
app.use(express.urlencoded());
// Latchkey's paths: /auth/… (sign-in pages, JSON API, account), /dev/mailbox, /healthz.
app.use(latchkeyExpress(latchkey));

app.get('/', async (req, res) => {
  const signedIn = await latchkey.getSession(req);
  res.send(
    page(
      'Example app',
      signedIn
        ? `<p>Signed in as ${escape(signedIn.user.email)}. <a href="/dashboard">Dashboard</a> · <a href="/auth/account">Account and sign-out</a></p>`
        : `<p><a href="/dashboard">Open the dashboard</a> (you will be asked to sign in).</p>`,
    ),
  );
});

// Not signed in: a browser goes to /auth/sign-in?redirectTo=/dashboard and comes back; an API client gets 401.
app.get('/dashboard', requireSession(latchkey), (req, res) => {
  res.send(page('Dashboard', `<p>Signed in as <strong>${escape(req.latchkey!.user.email)}</strong>.</p><p><a href="/auth/account">Account and sign-out</a></p>`));
});

const server = app.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  console.log(`example listening on ${latchkey.config.baseUrl.origin} (mail: ${latchkey.config.baseUrl.origin}/dev/mailbox)`);
});

const stop = () => server.close(() => void latchkey.close().then(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
