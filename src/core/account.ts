// The mail of the account flows of issue #5 (passwords, password reset, email
// verification, email change), and the pieces they share. Every
// one of them issues and consumes its tokens through the one token engine
// (core/tokens.ts) and ends a sign-in through finishFirstFactor (core/first-factor.ts).

import type { RequestContext } from './audit.ts';
import type { NewOutboxMessage } from '../store/store.ts';
import type { Context } from '../context.ts';
import { absoluteUrlFor, type RouteName } from '../route-table.ts';

/** The emails of the account flows; mail/account-messages.ts renders each one. */
export type AccountMail =
  | { kind: 'password_reset'; link: string; code: string; expiresInSeconds: number }
  /** Sent after the fact, to the account's address: "if this wasn't you…". */
  | { kind: 'password_changed'; change: 'added' | 'changed' | 'reset' | 'removed'; resetLink: string }
  | { kind: 'email_verify'; link: string; expiresInSeconds: number }
  /** To the new address: confirm the change. */
  | { kind: 'email_change_confirm'; link: string; oldEmail: string; expiresInSeconds: number }
  /**
   * To the old address: what was asked, and the one-click "this wasn't me";
   * no link (null) when the account's second factor guards the change (issue #12 finding 4).
   */
  | { kind: 'email_change_notice'; newEmail: string; cancelLink: string | null; expiresInSeconds: number }
  /** Security notices, after the fact, to the account's address (core/security-notices.ts). */
  | { kind: Exclude<SecurityNoticeKind, 'password_reset'>; accountLink: string };

/** Every change to how an account signs in but password and address (those have notices of their own), and a spent recovery code. */
export type SecurityNoticeKind =
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_regenerated'
  | 'recovery_code_used'
  /** Email sign-in (link or code) no longer asks for TOTP. */
  | 'email_sign_in_alone'
  /** Email sign-in asks for TOTP again. */
  | 'email_sign_in_requires_totp'
  /** A password reset held by the second factor was applied (mailed as password_changed 'reset'). */
  | 'password_reset'
  /** A passkey was added to the account, or removed (issue #17). */
  | 'passkey_added'
  | 'passkey_removed'
  /** Email sign-in asks for a passkey (or TOTP) now, or no longer. */
  | 'email_sign_in_requires_passkey'
  | 'email_sign_in_without_passkey'
  /** An operator took every second factor away (latchkey users reset-second-factor, the admin API). */
  | 'second_factor_reset';

export interface AccountMailEnvelope {
  to: string;
  /** When it was asked for (epoch ms). */
  at: number;
  requestId: string | null;
  /** The language of the page that asked (a catalog name such as 'de'). */
  locale: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** Renders and seals one account email as an outbox row (mail/compose.ts). */
export type ComposeAccountMail = (mail: AccountMail, envelope: AccountMailEnvelope) => NewOutboxMessage;

/** What every account flow that mails a link uses: the token engine, the account mail and the clock. */
export type AccountMailContext = Pick<Context, 'policy' | 'store' | 'now' | 'tokens' | 'baseUrl' | 'composeAccountMail' | 'mailQueued'>;

/** Absolute link to a hosted page that takes a token (GET shows it, POST consumes it). */
export function tokenLink(baseUrl: URL, page: RouteName, token: string): string {
  return absoluteUrlFor(baseUrl, page, undefined, { token });
}

export function mailEnvelope(to: string, at: number, context: RequestContext, locale: string | null): AccountMailEnvelope {
  return { to, at, requestId: context.requestId, locale, ip: context.ip, userAgent: context.userAgent?.slice(0, 512) ?? null };
}
