// `latchkey start`: a thin shell over createLatchkey and @hono/node-server.
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { parseEnv } from '../config.ts';
import { createLatchkey } from '../latchkey.ts';
import { describeDatabaseUrl } from '../store/open.ts';
import { VERSION } from '../version.ts';

export async function start(env: Record<string, string | undefined>): Promise<void> {
  const port = parseEnv(env).PORT;
  const logger = pino({ level: env.LATCHKEY_LOG_LEVEL ?? 'info' });
  const latchkey = await createLatchkey({ env, logger });
  const { config } = latchkey;
  const server = serve({ fetch: latchkey.app.fetch, port, hostname: env.HOST }, (info) => {
    logger.info(
      {
        version: VERSION,
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
        `development mode: open ${config.baseUrl.origin}/auth/sign-in` +
          (latchkey.devMailbox ? `; mail goes to the dev mailbox at ${config.baseUrl.origin}/dev/mailbox` : '') +
          (config.secretGenerated ? `; using a generated secret in ${config.dataDir}/secret` : ''),
      );
    }
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'latchkey stopping');
    server.close(() => {
      latchkey.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
