// `npm run docs:audit`: writes docs/audit-events.md from the closed event type.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditEventsMarkdown } from '../src/core/audit.ts';

writeFileSync(join(import.meta.dirname, '../docs/audit-events.md'), auditEventsMarkdown());
console.log('docs/audit-events.md written');
