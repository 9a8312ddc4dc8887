// A static page that signs in through Latchkey's JSON API (public/), served
// same-origin with Latchkey by one node:http server.
// From the repository root: node --conditions=latchkey-source examples/static/server.ts
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createLatchkey } from 'latchkey';
import { toNodeHandler } from 'latchkey/node';

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

const publicDir = join(import.meta.dirname, 'public');
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};

const latchkeyHandler = toNodeHandler(latchkey);
const server = createServer((req, res) =>
  // Latchkey answers its own paths (/auth/…, /dev/mailbox, …); the rest falls through to the static files.
  latchkeyHandler(req, res, () => {
    const found = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (!found) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-type': found.type, 'content-security-policy': "default-src 'self'", 'cache-control': 'no-cache' });
    res.end(readFileSync(join(publicDir, found.file)));
  }),
);

server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  console.log(`example listening on ${latchkey.config.baseUrl.origin} (mail: ${latchkey.config.baseUrl.origin}/dev/mailbox)`);
});

const stop = () => server.close(() => void latchkey.close().then(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
