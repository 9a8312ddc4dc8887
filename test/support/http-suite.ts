// The frame of a suite over real HTTP: per backend, a real SMTP sink, the
// backend's store and a Latchkey server, started once before the suite and
// closed after it.
import { after, before, it } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { startTestServer, type TestServer } from './server.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { backendSkip, type Backend } from './stores.ts';

export interface HttpSuiteParts {
  sink: SmtpSink;
  store: Store;
  server: TestServer;
}

/** Inside a describe: true (and one skipped test saying why) when the backend is not available here. */
export async function skippedOn(backend: Backend): Promise<boolean> {
  const skip = await backendSkip(backend);
  if (skip) it(`skipped: ${skip}`, { skip }, () => {});
  return skip !== false;
}

/** Inside a describe: starts the sink, store and server before the suite (handing them to `ready`) and closes them after it. */
export function useHttpServer(
  backend: Backend,
  options: Omit<Parameters<typeof startTestServer>[0], 'store' | 'smtpUrl'>,
  ready: (parts: HttpSuiteParts) => void,
): void {
  let parts: HttpSuiteParts | undefined;
  before(async () => {
    const sink = await startSmtpSink();
    const store = (await backend.open())!;
    const server = await startTestServer({ ...options, store, smtpUrl: sink.url });
    parts = { sink, store, server };
    ready(parts);
  });
  after(async () => {
    await parts?.server.close();
    await parts?.store.close();
    await parts?.sink.close();
  });
}
