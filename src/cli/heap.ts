// Idle memory of `latchkey start` (issue #14 item 5). Startup allocates far
// more than a running server keeps (module sources, compiled code, the
// migrations), and V8 keeps the pages it has freed in its own pool instead of
// returning them to the system: 14 MB of RSS after startup on the embedded
// defaults, and tens of MB after a burst of requests. V8 hands them back only
// in a memory-reducing collection, which it runs by itself under memory
// pressure. This runs one when the server is quiet: a second after startup,
// and again once requests have stopped for a minute. It blocks the event loop
// for tens of ms on an idle machine (170–575 ms measured on a busy shared one):
// a request arriving meanwhile waits that long; no answer changes. In library
// mode it is the application's call: only the CLI server runs it.
//
// That collection also throws away every function's bytecode, type feedback
// and optimised code (V8 flushes code regardless of age in it), so the next
// requests run cold and are compiled again. Before traffic that is startup's
// garbage; after a burst it is the JIT's work. So the startup collection runs
// only while the server has answered a few requests (health checks); once
// real traffic has come before the first quiet second, only a quiet minute
// brings one. Without that, the first pause after a burst cost the requests
// after it 1.7× the instructions each (issue #13: 0.60 M against 0.35 M per
// session check under callgrind, 3,000 requests after 3,000 to warm up).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc() extension: 'last-resort' is the memory-reducing collection (pooled pages released, new space shrunk). */
type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Quiet time before the collection, in ms: after startup, and after requests. */
export const QUIET_AFTER_START_MS = 1000;
export const QUIET_AFTER_REQUESTS_MS = 60_000;
/** Requests after which the startup collection is no longer worth the compiled code it would throw away. */
export const STARTUP_REQUESTS = 50;

/**
 * V8's collector, without exposing `gc` to the process: the flag is on only
 * while a throwaway context is made, which gets the function.
 */
function memoryReducingCollector(): Collect {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as Collect;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export interface IdleRelease {
  /** How many memory-reducing collections have run (tests, the bench). */
  readonly releases: number;
  stop(): void;
}

/**
 * Runs a memory-reducing collection once `server` has been without requests
 * for QUIET_AFTER_START_MS after startup (unless more than STARTUP_REQUESTS
 * came first), then each time requests stop for QUIET_AFTER_REQUESTS_MS.
 * Timers are unref'd: they never keep the process up.
 */
export function releaseMemoryWhenIdle(
  server: { on(event: 'request', listener: () => void): unknown },
  options: { afterStartMs?: number; afterRequestsMs?: number; startupRequests?: number; now?: () => number } = {},
): IdleRelease {
  const afterStartMs = options.afterStartMs ?? QUIET_AFTER_START_MS;
  const afterRequestsMs = options.afterRequestsMs ?? QUIET_AFTER_REQUESTS_MS;
  const startupRequests = options.startupRequests ?? STARTUP_REQUESTS;
  const now = options.now ?? (() => performance.now());
  const collect = memoryReducingCollector();
  let lastRequestAt = now();
  let timer: NodeJS.Timeout | null = null;
  let releases = 0;
  let stopped = false;
  /** Requests answered before the startup collection; null once it has run or traffic came first. */
  let sinceStart: number | null = 0;
  /** The quiet time the next collection waits for: a second at startup, a minute after that. */
  const quietMs = () => (sinceStart === null ? afterRequestsMs : afterStartMs);

  const check = () => {
    timer = null;
    const quietFor = now() - lastRequestAt;
    if (quietFor < quietMs()) return schedule(quietMs() - quietFor);
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    releases++;
    sinceStart = null;
  };
  function schedule(ms: number) {
    if (stopped) return;
    timer = setTimeout(check, ms);
    timer.unref();
  }
  // Per request: a clock read and a count; the timer is armed again only after a collection.
  server.on('request', () => {
    lastRequestAt = now();
    // Traffic before the first quiet second: the armed timer now waits for a quiet minute.
    if (sinceStart !== null && ++sinceStart > startupRequests) sinceStart = null;
    if (timer === null) schedule(afterRequestsMs);
  });
  schedule(afterStartMs);
  return {
    get releases() {
      return releases;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
