// The server under test: `latchkey start` as in production (NODE_ENV=production,
// real outbox to an SMTP sink), with the abuse limits raised out of the way so
// the bench measures the code paths, not the limiter's refusals. It runs the
// compiled package (dist/, what `npm start` and an installed `latchkey` run,
// issue #14) when it has been built, else the TypeScript sources with the
// compile cache on, as src/cli/main.ts turns it on for them.
import { enableCompileCache } from 'node:module';
import { compiledServer } from './server-source.ts';

const compiled = compiledServer();
if (!compiled) enableCompileCache();
const { start } = (await import(compiled ?? '../src/cli/start.ts')) as typeof import('../src/cli/start.ts');
await start(process.env);
