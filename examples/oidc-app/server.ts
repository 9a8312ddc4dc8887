// "Sign in with Latchkey" in an app of its own (issue #15): the relying party
// (app.ts) on http://localhost:4000. From the repository root:
//   node examples/oidc-app/server.ts
// starts a Latchkey beside it on http://localhost:3000 with this app registered
// (latchkey-beside.ts). With LATCHKEY_ISSUER (and CLIENT_ID, CLIENT_SECRET) it
// signs in with that Latchkey instead and starts nothing else.
import { serve } from '@hono/node-server';
import { join } from 'node:path';
import { relyingPartyApp } from './app.ts';
import { startLatchkeyBeside } from './latchkey-beside.ts';

const port = Number(process.env.PORT ?? 4000);
const appUrl = new URL(process.env.APP_URL ?? `http://localhost:${port}`);

async function latchkey() {
  if (!process.env.LATCHKEY_ISSUER) {
    const dataDir = process.env.LATCHKEY_DATA_DIR ?? join(import.meta.dirname, 'data');
    return startLatchkeyBeside({ appUrl, port: Number(process.env.LATCHKEY_PORT ?? 3000), dataDir });
  }
  if (!process.env.CLIENT_ID) throw new Error('CLIENT_ID is required with LATCHKEY_ISSUER (latchkey clients add prints it)');
  return { issuer: new URL(process.env.LATCHKEY_ISSUER), clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET || undefined, stop: async () => {} };
}

const provider = await latchkey();
const app = relyingPartyApp({ ...provider, appUrl, ...(process.env.APP_TITLE ? { title: process.env.APP_TITLE } : {}) });
const server = serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? '127.0.0.1' }, () => {
  console.log(`example app on ${appUrl.origin}, signing in with ${provider.issuer.origin} as client ${provider.clientId}`);
  if (!process.env.LATCHKEY_ISSUER) console.log(`sign-in mail goes to the dev mailbox: ${provider.issuer.origin}/dev/mailbox`);
});

// Both stop together: the app's connections close while Latchkey finishes what it has in flight.
const stop = () => void Promise.all([new Promise((resolve) => server.close(resolve)), provider.stop()]).then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
