// The schema version this code expects. Both backends number their migrations
// in step, so one version describes the schema whichever database is in use.
export const SCHEMA_VERSION = 13;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Refuses to run against a database migrated by a newer Latchkey. */
export function checkNotNewer(appliedVersions: number[]): void {
  const newest = Math.max(0, ...appliedVersions);
  if (newest > SCHEMA_VERSION) {
    throw new Error(`database schema is at version ${newest}, newer than this Latchkey understands (${SCHEMA_VERSION}); upgrade Latchkey`);
  }
}
