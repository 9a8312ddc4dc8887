// Hono environment and the dependencies every route receives.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { LatchkeyConfig } from '../config.ts';
import type { SessionPolicy } from '../core/sessions.ts';
import type { SignInDeps } from '../core/sign-in.ts';
import type { TokenEngine } from '../core/tokens.ts';
import type { DevMailbox } from '../mail/dev-mailbox.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Store } from '../store/store.ts';

export interface AppEnv {
  Bindings: { incoming?: IncomingMessage };
  Variables: { requestId: string; userId?: string };
}

export interface HttpDeps {
  config: LatchkeyConfig;
  store: Store;
  tokens: TokenEngine;
  signIn: SignInDeps;
  sessions: SessionPolicy;
  logger: Logger;
  mailer: Mailer;
  devMailbox: DevMailbox | null;
  now: () => number;
  version: string;
}
