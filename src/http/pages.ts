import type { Context } from 'hono';
import type { PageContext } from '../pages/context.ts';
import type { AppEnv, HttpDeps } from './env.ts';

export function pageContext(c: Context<AppEnv>, deps: HttpDeps): PageContext {
  return { productName: deps.config.productName, version: deps.version, requestId: c.get('requestId') ?? null };
}
