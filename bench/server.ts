// The server under test: `latchkey start` as in production (NODE_ENV=production,
// real outbox to an SMTP sink), with the abuse limits raised out of the way so
// the bench measures the code paths, not the limiter's refusals. The compile
// cache is on, as src/cli/main.ts turns it on for `latchkey start`.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { start } = await import('../src/cli/start.ts');
await start(process.env);
