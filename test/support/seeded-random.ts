// A replayable Random (src/core/random.ts) for tests: the same seed gives the
// same ids, secrets and codes, in the same order. Never for a server.
import { createHash } from 'node:crypto';
import type { Random } from '../../src/core/random.ts';

export function seededRandom(seed: string): Random {
  let counter = 0;
  const next = (bytes: number): Buffer => {
    const blocks: Buffer[] = [];
    for (let length = 0; length < bytes; length += 32) blocks.push(createHash('sha256').update(`${seed}:${counter++}`).digest());
    return Buffer.concat(blocks).subarray(0, bytes);
  };
  return {
    bytes: (bytes) => Buffer.from(next(bytes)),
    token: (bytes) => next(bytes).toString('base64url'),
    int: (min, max) => min + (next(4).readUInt32BE(0) % (max - min)),
    uuid: () => {
      const b = Buffer.from(next(16));
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const hex = b.toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
