// Picks the limiter backend from the configuration: Redis when LATCHKEY_REDIS_URL
// is set (limits shared by every instance, the database standing in while Redis
// is unreachable), else this process's memory.
import type { Logger } from 'pino';
import type { LatchkeyConfig } from '../config.ts';
import type { Store } from '../store/store.ts';
import type { LimiterBackend } from './limiters.ts';
import { memoryLimiters } from './memory-limiter.ts';

export async function openLimiters(
  config: Pick<LatchkeyConfig, 'redisUrl' | 'redisKeyPrefix'>,
  logger: Pick<Logger, 'warn' | 'info'>,
  store: Store,
  now: () => number,
): Promise<{ backend: LimiterBackend; ready: Promise<void>; close(): Promise<void> }> {
  if (!config.redisUrl) return { backend: memoryLimiters(), ready: Promise.resolve(), close: async () => {} };
  // ioredis (~25 MB of memory) and rate-limiter-flexible (~3 MB, issue #14 item 5) load only when Redis is configured.
  const [{ Redis }, { redisLimiters }, { storeFallback }] = await Promise.all([import('ioredis'), import('./limiters.ts'), import('./store-limiter.ts')]);
  const client = new Redis(config.redisUrl, {
    // Fail fast while Redis is away: the database fallback answers instead of a queued command.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  const backend = redisLimiters(client, config.redisKeyPrefix, {
    warn: (message) => logger.warn(message),
    info: (message) => logger.info(message),
  }, storeFallback(store, now));
  // Start once connected (or after the connect timeout, on the database fallback).
  const ready = new Promise<void>((resolve) => {
    client.once('ready', () => resolve());
    setTimeout(resolve, 2500).unref();
  });
  return {
    backend,
    ready,
    close: async () => {
      client.disconnect();
    },
  };
}
