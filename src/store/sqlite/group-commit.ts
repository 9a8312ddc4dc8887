// Group commit for one SQLite connection (issue #7; moved out of sqlite-store.ts
// by issue #13). The writes of every request handled in one turn of the event
// loop share one transaction.

import type { DatabaseSync } from 'node:sqlite';

/** One turn's writes on one connection. */
interface Group {
  /** Settles after the commit; rejects when the group could not commit. */
  committed: Promise<void>;
  /**
   * Commits now (idempotent); normally called when the turn ends. With `lost`
   * (SQLite rolled the whole transaction back: I/O error, disk full) it ends the
   * group without committing, and every write of it fails with that error.
   */
  end(lost?: unknown): void;
}

/** Groups still open in this process, over every store. */
const OPEN_GROUPS = new Set<Group>();

export interface GroupCommit {
  /** Runs `work` now, synchronously, as one savepoint of the turn's group; settles once the group has committed. */
  transaction<T>(work: () => T): Promise<T>;
  /** Settles when the open group (if any) has committed or failed: for close(). */
  settled(): Promise<void>;
}

export function groupCommit(db: DatabaseSync): GroupCommit {
  // Group commit. node:sqlite is synchronous, so each write runs start to end
  // before the next begins; the writes of every request handled in one turn of
  // the event loop share one transaction, committed (setImmediate) before any of
  // them is answered. Each write is a savepoint of its own, so one that fails
  // rolls back alone. A commit (WAL frames, their syscalls) was most of a write's
  // cost; under load it is now paid once per turn, not once per request (bench).
  // Reads on this connection see the group's writes at once: to this process the
  // order is the same, and nobody is answered before the commit.
  let open: Group | null = null;
  const begin = (): Group => {
    // Another store of this process holds its group's write lock until its turn
    // ends; waiting for it here would block that very turn. Commit it now.
    for (const other of OPEN_GROUPS) other.end();
    db.exec('BEGIN IMMEDIATE');
    let ended = false;
    let failure: unknown = null;
    const group: Group = {
      end(lost) {
        if (ended) return;
        ended = true;
        OPEN_GROUPS.delete(group);
        if (open === group) open = null;
        if (lost) return void (failure = lost);
        try {
          db.exec('COMMIT');
        } catch (error) {
          failure = error;
          if (db.isTransaction) db.exec('ROLLBACK');
        }
      },
      committed: new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        group.end();
        if (failure) throw failure;
      }),
    };
    OPEN_GROUPS.add(group);
    return (open = group);
  };
  const transaction = <T>(work: () => T): Promise<T> => {
    const group = open ?? begin();
    db.exec('SAVEPOINT write');
    let result: T;
    try {
      result = work();
      db.exec('RELEASE write');
    } catch (error) {
      if (db.isTransaction) {
        db.exec('ROLLBACK TO write');
        db.exec('RELEASE write');
      } else {
        group.end(error);
      }
      throw error;
    }
    return group.committed.then(() => result);
  };

  return { transaction, settled: async () => open?.committed.catch(() => {}) };
}
