// In-process `getSession(request)`: the library's hot path with no HTTP at all.
// The host turns on Node's compile cache first, as `latchkey start` does (README).
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { createLatchkey } = await import('../src/latchkey.ts');
const { openStore } = await import('../src/store/open.ts');
const { Seeder } = await import('./seed.ts');

const [databaseUrl = '', secret = '', secondsArg = '5'] = process.argv.slice(2);
const store = await openStore(databaseUrl);
const latchkey = await createLatchkey({ store, secret, startWorker: false, logLevel: 'silent', smtpUrl: 'smtp://127.0.0.1:1' });
const cookie = await new Seeder(store, secret).sessionCookie();
const request = new Request('http://127.0.0.1/', { headers: { cookie: `latchkey_session=${cookie}` } });

const check = await latchkey.getSession(request);
if (!check) throw new Error('bench session is not valid');

async function loop(milliseconds: number): Promise<number> {
  let operations = 0;
  const end = performance.now() + milliseconds;
  while (performance.now() < end) {
    // Batches keep the clock reads off the measured path.
    for (let i = 0; i < 100; i++) await latchkey.getSession(request);
    operations += 100;
  }
  return operations;
}

await loop(1000); // warm-up
const seconds = Number(secondsArg);
const operations = await loop(seconds * 1000);
process.stdout.write(`${JSON.stringify({ operationsPerSecond: Math.round(operations / seconds), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
await latchkey.close();
await store.close();
