// Preloaded into a `latchkey start` under test (NODE_OPTIONS=--import=…): appends
// the URL of every module the process loads, ESM or CommonJS, to the file named
// by TEST_MODULE_LOG.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.TEST_MODULE_LOG;
if (log) {
  registerHooks({
    load(url, context, next) {
      appendFileSync(log, `${url}\n`);
      return next(url, context);
    },
  });
}
