// The thread of checkpointer.ts: its own connection to the database file, a
// checkpoint every interval, and nothing else.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs, restartAbovePages } = workerData as { path: string; intervalMs: number; restartAbovePages: number };
const db = new DatabaseSync(path, { timeout: 1000 });
// The request thread writes with synchronous=NORMAL; checkpoints are where WAL mode syncs.
db.exec('PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 0; PRAGMA cache_size = -256');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');

function checkpoint(): void {
  try {
    // log = pages in the WAL; after a full PASSIVE pass, RESTART only waits for writes that came meanwhile.
    const result = passive.get() as { busy: number; log: number; checkpointed: number } | undefined;
    if (result && result.log >= restartAbovePages) restart.get();
  } catch {
    // Busy or locked: the next tick tries again.
  }
}

const timer = setInterval(checkpoint, intervalMs);

parentPort!.on('message', () => {
  clearInterval(timer);
  checkpoint(); // what the last writes left, before the request connection's auto-checkpoint takes over
  db.close();
  parentPort!.close();
});
