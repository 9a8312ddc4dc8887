// `latchkey start`: a thin shell over createLatchkey and @hono/node-server.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { parseEnv } from '../config.ts';
import { createLatchkey } from '../latchkey.ts';
import { describeDatabaseUrl } from '../store/open.ts';
import { VERSION } from '../version.ts';
import { absoluteUrlFor } from '../route-table.ts';
import { releaseMemoryWhenIdle } from './heap.ts';

export async function start(env: Record<string, string | undefined>): Promise<void> {
  const port = parseEnv(env).PORT;
  const logger = pino({ level: env.LATCHKEY_LOG_LEVEL ?? 'info' });
  const latchkey = await createLatchkey({ env, logger });
  const { config } = latchkey;
  // Issue #12 finding 14: a development server is for this machine; HOST opens it to the network.
  const hostname = env.HOST || (config.production ? undefined : '127.0.0.1');
  const server = serve({ fetch: latchkey.app.fetch, port, hostname }, (info) => {
    logger.info(
      {
        version: VERSION,
        host: hostname ?? 'every interface',
        port: info.port,
        baseUrl: config.baseUrl.origin,
        database: describeDatabaseUrl(config.databaseUrl),
        mail: config.smtpUrl ? 'smtp' : 'dev-mailbox',
        production: config.production,
      },
      'latchkey started',
    );
    if (!config.production) {
      // Development defaults are loud.
      logger.warn(
        `development mode: open ${absoluteUrlFor(config.baseUrl, 'signIn')}` +
          (latchkey.devMailbox ? `; mail goes to the dev mailbox at ${absoluteUrlFor(config.baseUrl, 'devMailbox')}` : '') +
          (config.secretGenerated ? `; using a generated secret in ${config.dataDir}/secret` : '') +
          (!config.metricsToken && !config.metricsListen ? '; /metrics is open to anyone who reaches this listener' : ''),
      );
    }
  });
  // The memory startup and bursts of requests leave behind, handed back once quiet (cli/heap.ts).
  const idle = releaseMemoryWhenIdle(server as Server);
  // LATCHKEY_METRICS_LISTEN: /metrics on a listener of its own (issue #12 finding 9).
  const listen = config.metricsListen;
  const metricsServer =
    latchkey.metricsApp && listen
      ? serve({ fetch: latchkey.metricsApp.fetch, port: listen.port, hostname: listen.host }, (info) =>
          logger.info({ host: listen.host, port: info.port }, 'metrics listening'),
        )
      : null;

  // Graceful shutdown (SIGTERM from an orchestrator, Ctrl-C): stop accepting,
  // let requests and sends in flight finish, hand claimed-but-unsent mail back to
  // the queue so another instance sends it at once, close everything, exit 0.
  // Sends are bounded by half the outbox lease, so that bounds the whole.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'latchkey: second signal, exiting now; unfinished mail is taken over after its lease');
      process.exit(1);
    }
    stopping = true;
    idle.stop();
    logger.info({ signal }, 'latchkey stopping: no new connections; finishing requests and sends in flight');
    const limitMs = config.outboxLeaseMs / 2 + 5000;
    setTimeout(() => {
      logger.error({ limitMs }, 'latchkey: shutdown took too long, exiting; unfinished mail is taken over after its lease');
      process.exit(1);
    }, limitMs).unref();
    try {
      const http = server as Server;
      const drained = new Promise<void>((resolve) => http.close(() => resolve()));
      metricsServer?.close();
      // close() waits for keep-alive clients to hang up: close each connection as soon as it is idle instead.
      const idle = setInterval(() => http.closeIdleConnections(), 50);
      const worker = latchkey.outbox.stop(); // at the same time as the requests drain
      await drained;
      clearInterval(idle);
      await worker;
      await latchkey.close();
      logger.info('latchkey stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'latchkey: shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
