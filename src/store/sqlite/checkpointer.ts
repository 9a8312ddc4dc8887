// WAL checkpoints off the request thread. node:sqlite is synchronous, and a
// checkpoint copies the WAL into the database and fsyncs both: done by the
// connection that serves requests (SQLite's auto-checkpoint), it stalled the
// event loop for tens of milliseconds at a time and cost about a third of every
// write's wall time on this machine's disk (bench). Here a worker thread with its
// own connection checkpoints instead: PASSIVE (writers never wait) on a short
// interval, and RESTART only when the WAL has grown large under sustained load,
// so it is reused rather than growing without bound.
//
// The thread is a V8 isolate of its own, about 14 MB of RSS (issue #14 item 5:
// more than a sixth of an idle server's), and pays only under a sustained write
// load: a server writing a few rows a second checkpoints its 1000 pages on the
// request thread once in minutes. So the thread starts when the connection
// writes more than START_ABOVE_CHANGES_PER_SECOND rows in a second, and stops
// after STOP_AFTER_QUIET_SECONDS without a write; meanwhile SQLite's own
// auto-checkpoint is on.
import type { DatabaseSync } from 'node:sqlite';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';

/** WAL pages (4 KiB) above which a RESTART checkpoint lets the log start over: 16 MiB. */
export const RESTART_ABOVE_PAGES = 4096;
export const INTERVAL_MS = 200;
/** SQLite's own default: checkpoint on commit once the WAL holds this many pages. */
export const AUTO_CHECKPOINT_PAGES = 1000;
/** Rows written in one second (INSERT, UPDATE, DELETE) above which the thread starts. */
export const START_ABOVE_CHANGES_PER_SECOND = 100;
/** Seconds without a row written after which the thread stops and its memory goes back. */
export const STOP_AFTER_QUIET_SECONDS = 30;

export interface CheckpointerOptions {
  startAboveChangesPerSecond?: number;
  stopAfterQuietSeconds?: number;
}

export interface Checkpointer {
  /** Stops watching, and the thread (if running) after its current checkpoint. */
  stop(): Promise<void>;
}

/**
 * Watches the writes of `db` (the request connection to the file at `path`)
 * once a second and runs the checkpoint thread while they are many. While no
 * thread runs, the connection's own auto-checkpoint does the work, so the WAL
 * never grows unchecked, including when the thread stops for any other reason.
 */
export function checkpointUnderLoad(db: DatabaseSync, path: string, options: CheckpointerOptions = {}): Checkpointer {
  const startAbove = options.startAboveChangesPerSecond ?? START_ABOVE_CHANGES_PER_SECOND;
  const stopAfter = options.stopAfterQuietSeconds ?? STOP_AFTER_QUIET_SECONDS;
  const totalChanges = db.prepare('SELECT total_changes() AS n');
  const changes = () => Number((totalChanges.get() as { n: number | bigint }).n);
  const autoCheckpoint = (pages: number) => {
    if (db.isOpen) db.exec(`PRAGMA wal_autocheckpoint = ${pages}`);
  };
  autoCheckpoint(AUTO_CHECKPOINT_PAGES);
  let thread: CheckpointThread | null = null;
  let seen = changes();
  let quietSeconds = 0;
  const tick = () => {
    if (!db.isOpen) return;
    const now = changes();
    const written = now - seen;
    seen = now;
    quietSeconds = written > 0 ? 0 : quietSeconds + 1;
    if (!thread && written > startAbove) {
      const started = startThread(path, () => {
        // Stopped here, or ended on its own (an error): the connection checkpoints again.
        if (thread === started) thread = null;
        if (!thread) autoCheckpoint(AUTO_CHECKPOINT_PAGES);
      });
      thread = started;
      autoCheckpoint(0);
    } else if (thread && quietSeconds >= stopAfter) {
      const stopping = thread;
      thread = null;
      void stopping.stop();
    }
  };
  const watch = setInterval(tick, 1000);
  watch.unref();
  return {
    async stop() {
      clearInterval(watch);
      const running = thread;
      thread = null;
      await running?.stop();
    },
  };
}

interface CheckpointThread {
  stop(): Promise<void>;
}

/** The thread for the database at `path`; `onExit` is told when it stops for any reason. */
function startThread(path: string, onExit: () => void): CheckpointThread {
  const worker = new Worker(new URL(`./checkpointer-thread${extname(import.meta.url)}`, import.meta.url), {
    workerData: { path, intervalMs: INTERVAL_MS, restartAbovePages: RESTART_ABOVE_PAGES },
    // It holds one connection and a timer: a small heap keeps its share of the RSS small.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(onExit);
  worker.on('error', () => {}); // 'exit' follows; the connection's auto-checkpoint covers the rest
  return {
    async stop() {
      worker.ref(); // wait for it, even when nothing else keeps the process alive
      worker.postMessage('stop');
      await exited;
    },
  };
}
