// The public library surface.
export { createLatchkey, type CreateLatchkeyOptions, type Latchkey } from './latchkey.ts';
export type { LatchkeyOptions, LatchkeyConfig } from './config.ts';
export type { User, Session, TokenPurpose } from './core/types.ts';
export type { Store } from './store/store.ts';
export type { ValidSession } from './core/sessions.ts';
export type { SessionSource, HeaderRecord } from './http/session-source.ts';
export type { VerifyOutcome, SignedIn, SecondFactorRequired } from './core/first-factor.ts';
export type { Mailer, MailMessage } from './mail/mailer.ts';
export type { ErrorCode } from './core/errors.ts';
export { ERROR_MESSAGES } from './i18n/catalog.ts';
export { VERSION } from './version.ts';
