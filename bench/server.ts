// The server under test when dist/ has not been built: `latchkey start` from the
// TypeScript sources, with the compile cache on as src/cli/main.ts turns it on
// for them. (Built, the bench runs `dist/cli/main.js start` itself: see
// server-source.ts.) The environment (production mode, real outbox to an SMTP
// sink, the abuse limits raised out of the way) comes from bench/run.ts.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { start } = await import('../src/cli/start.ts');
await start(process.env);
