// A bound on the Argon2id computations running at once in this process (issue
// #12 finding 5). Each holds 19 MiB and a libuv thread for tens of
// milliseconds; unbounded, a burst of password requests queues without end on
// the thread pool (starving DNS and file I/O that share it) and in memory.
// A few more wait their turn; past that the request is refused at once
// (policy.ts answers 429) rather than queued.

export interface HashSlots {
  /** Resolves with the release of a slot once one is free; null when every slot is busy and the queue is full. */
  acquire(): Promise<(() => void) | null>;
}

export function createHashSlots(size: number, maxWaiting: number): HashSlots {
  let running = 0;
  const waiting: Array<() => void> = [];
  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next in line, so a newcomer cannot overtake the queue.
      const next = waiting.shift();
      if (next) next();
      else running--;
    };
  };
  return {
    async acquire() {
      if (running < size) {
        running++;
        return releaser();
      }
      if (waiting.length >= maxWaiting) return null;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return releaser();
    },
  };
}
