// WAL checkpoints off the request thread. node:sqlite is synchronous, and a
// checkpoint copies the WAL into the database and fsyncs both: done by the
// connection that serves requests (SQLite's auto-checkpoint), it stalled the
// event loop for tens of milliseconds at a time and cost about a third of every
// write's wall time on this machine's disk (bench). Here a worker thread with its
// own connection checkpoints instead: PASSIVE (writers never wait) on a short
// interval, and RESTART only when the WAL has grown large under sustained load,
// so it is reused rather than growing without bound.
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';

/** WAL pages (4 KiB) above which a RESTART checkpoint lets the log start over: 16 MiB. */
export const RESTART_ABOVE_PAGES = 4096;
export const INTERVAL_MS = 200;

export interface Checkpointer {
  /** Stops the thread after its current checkpoint; the connection's own auto-checkpoint takes over again. */
  stop(): Promise<void>;
}

/**
 * Starts the thread for the database at `path`. `onExit` is told when the
 * thread stops for any reason, so the caller can turn its connection's
 * auto-checkpoint back on and the WAL never grows unchecked.
 */
export function startCheckpointer(path: string, onExit: () => void): Checkpointer {
  // Beside this module: .ts run from src/, .js from the compiled package (dist/), where Node strips no types.
  const worker = new Worker(new URL(`./checkpointer-thread${extname(import.meta.url)}`, import.meta.url), {
    workerData: { path, intervalMs: INTERVAL_MS, restartAbovePages: RESTART_ABOVE_PAGES },
    // It holds one connection and a timer: a small heap keeps its share of the RSS small.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(onExit);
  worker.on('error', () => {}); // 'exit' follows; the caller's auto-checkpoint covers the rest
  return {
    async stop() {
      worker.ref(); // wait for it, even when nothing else keeps the process alive
      worker.postMessage('stop');
      await exited;
    },
  };
}
