import { resolveConfig } from '../config.ts';
import { describeDatabaseUrl, openStore } from '../store/open.ts';

export async function migrate(env: Record<string, string | undefined>): Promise<number> {
  const config = resolveConfig({}, env);
  const store = await openStore(config.databaseUrl);
  try {
    const applied = await store.migrate();
    console.log(`latchkey: ${describeDatabaseUrl(config.databaseUrl)}: ${applied} migration(s) applied, schema up to date`);
    return 0;
  } finally {
    await store.close();
  }
}
