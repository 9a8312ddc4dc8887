// A plain ESM app importing the installed package and its adapter subpaths
// (test/package/install.test.ts). None of them loads a web framework itself.
import { createLatchkey, VERSION } from 'latchkey';
import { latchkeyExpress } from 'latchkey/express';
import { latchkeyFastify } from 'latchkey/fastify';
import { toNodeHandler } from 'latchkey/node';

const kinds = { createLatchkey, toNodeHandler, latchkeyExpress, latchkeyFastify };
console.log(JSON.stringify({ ...Object.fromEntries(Object.entries(kinds).map(([name, value]) => [name, typeof value])), VERSION }));
