// A plain ESM app importing the installed package (test/package/install.test.ts).
import { createLatchkey, VERSION } from 'latchkey';

console.log(JSON.stringify({ createLatchkey: typeof createLatchkey, VERSION }));
