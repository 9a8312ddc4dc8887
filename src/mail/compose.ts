// Turns a fresh token into a sealed outbox row. The row holds the template's
// inputs, sealed because they include the live link and code (the store never
// sees them in clear; the row is cleared once sent); the outbox worker renders
// them when it sends (renderQueuedMail), off the request path.
import type { Brand } from '../branding.ts';
import type { ComposeAccountMail } from '../core/account.ts';
import type { Random } from '../core/random.ts';
import type { ComposeSignInMail } from '../core/sign-in.ts';
import { LOCALES, type Locale } from '../i18n/catalog.ts';
import { sealMessage } from './outbox.ts';
import type { NewOutboxMessage } from '../store/store.ts';
import { renderAccountMessage, type AccountMessageInput } from './account-messages.ts';
import type { RenderedMessage } from './layout.ts';
import { renderSignInMessage, type SignInMessageInput } from './sign-in-message.ts';

/** A queued message's template and inputs (JSON: it is sealed into the outbox row). The brand is applied at send time. */
export type QueuedMail =
  | { kind: 'sign_in'; input: Omit<SignInMessageInput, 'brand' | 'productName'> }
  | { kind: 'account'; input: Omit<AccountMessageInput, 'brand'> };

/** How a composer seals its rows; the brand is not among them (renderQueuedMail applies it at send time). */
export interface MailSealing {
  sealKey: Buffer;
  /** The row's id. */
  random: Random;
  locale: 'auto' | Locale;
}

/** The outbox row of one message: the template and its inputs, sealed. */
function queuedRow(options: MailSealing, to: string, createdAt: number, requestId: string | null, template: QueuedMail): NewOutboxMessage {
  return { id: options.random.uuid(), createdAt, requestId, recipient: to, payload: sealMessage(options.sealKey, { to, template }) };
}

/** The outbox worker's renderer: a queued message with this instance's brand. */
export function renderQueuedMail(template: unknown, brand: Brand): RenderedMessage {
  const mail = template as QueuedMail;
  if (mail?.kind === 'sign_in') return renderSignInMessage({ ...mail.input, productName: brand.productName, brand });
  if (mail?.kind === 'account') return renderAccountMessage({ ...mail.input, brand });
  throw new Error('unknown outbox template');
}

/** The request's language when it names a catalog, else the configured one (or English). */
export function mailLocale(requested: string | null, configured: 'auto' | Locale): Locale {
  if (configured !== 'auto') return configured;
  return (LOCALES as readonly string[]).includes(requested ?? '') ? (requested as Locale) : 'en';
}

export function composeSignInMail(options: MailSealing & { tokenTtlSeconds: number }): ComposeSignInMail {
  return ({ to, link, code, record, requestId, locale }) => {
    const template: QueuedMail = {
      kind: 'sign_in',
      input: {
        locale: mailLocale(locale, options.locale),
        link,
        code,
        email: to,
        expiresInSeconds: options.tokenTtlSeconds,
        requestedAt: record.createdAt,
        ip: record.requestIp,
        userAgent: record.requestUserAgent,
      },
    };
    return queuedRow(options, to, record.createdAt, requestId, template);
  };
}

/** The account flows' emails (password reset and notices, email verification and change), sealed like the sign-in email. */
export function composeAccountMail(options: MailSealing): ComposeAccountMail {
  return (mail, envelope) => {
    const template: QueuedMail = {
      kind: 'account',
      input: {
        mail,
        email: envelope.to,
        at: envelope.at,
        ip: envelope.ip,
        userAgent: envelope.userAgent,
        locale: mailLocale(envelope.locale, options.locale),
      },
    };
    return queuedRow(options, envelope.to, envelope.at, envelope.requestId, template);
  };
}
