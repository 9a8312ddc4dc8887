// docs/audit-events.md is generated from the event type; it must not drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { AUDIT_EVENT_TYPES, auditEventsMarkdown } from '../../src/core/audit.ts';

it('docs/audit-events.md lists every audit event type as the code defines it (run npm run docs:audit)', () => {
  const file = readFileSync(join(import.meta.dirname, '../../docs/audit-events.md'), 'utf8');
  assert.equal(file, auditEventsMarkdown());
  for (const type of AUDIT_EVENT_TYPES) assert.match(file, new RegExp(`\\| \`${type.replace('.', '\\.')}\` \\|`));
});
