// A Fastify API with a protected route; sign in through Latchkey's JSON API.
// From the repository root: node --conditions=latchkey-source examples/fastify/server.ts
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fastify from 'fastify';
import { createLatchkey } from 'latchkey';
import { latchkeyFastify, requireSession } from 'latchkey/fastify';

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

const app = fastify();
// Latchkey's paths: /auth/… (JSON API and pages), /dev/mailbox, /healthz. The app's routes keep Fastify's parsers.
await app.register(latchkeyFastify(latchkey));

app.get('/api/hello', async () => ({ hello: 'anyone' }));

// Not signed in: 401 { error: { code: 'unauthenticated', … } } (a browser is sent to the sign-in page instead).
app.get('/api/me', { preHandler: requireSession(latchkey) }, async (request) => {
  const { user, session } = request.latchkey!;
  return { user: { id: user.id, email: user.email }, sessionExpiresAt: new Date(session.expiresAt).toISOString() };
});

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`example listening on ${latchkey.config.baseUrl.origin} (mail: ${latchkey.config.baseUrl.origin}/dev/mailbox)`);

const stop = () => void app.close().then(() => latchkey.close()).then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
