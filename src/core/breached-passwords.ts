// The bundled list of the 10,000 most common breached passwords
// (breached-passwords.txt, lower-cased), read on first use: an instance that
// never sees a password never holds it. Held as one sorted buffer and the
// offsets of its entries, searched by halving: about 130 KB where a Set of
// strings took 790 KB (issue #14 item 5).
import { readFileSync } from 'node:fs';

interface SortedList {
  /** Every entry, sorted by byte, back to back. */
  bytes: Buffer;
  /** Where entry i starts; entry i ends where entry i + 1 starts (the last at bytes.length). */
  starts: Uint32Array;
}

let list: SortedList | undefined;

function load(): SortedList {
  const entries = readFileSync(new URL('./breached-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => Buffer.from(line, 'utf8'))
    .sort(Buffer.compare);
  const starts = new Uint32Array(entries.length + 1);
  entries.forEach((entry, i) => (starts[i + 1] = starts[i]! + entry.length));
  return { bytes: Buffer.concat(entries), starts };
}

/** Whether `candidate` (already normalised and lower-cased) is on the list. */
export function isListedPassword(candidate: string): boolean {
  list ??= load();
  const { bytes, starts } = list;
  const wanted = Buffer.from(candidate, 'utf8');
  let low = 0;
  let high = starts.length - 2;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = Buffer.compare(bytes.subarray(starts[middle], starts[middle + 1]), wanted);
    if (order === 0) return true;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
