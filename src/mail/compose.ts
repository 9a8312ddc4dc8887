// Turns a fresh sign-in token into a sealed outbox row. Rendering happens here,
// at request time, because the link exists only now: the store never sees it in
// clear (the row is encrypted and cleared once sent).
import { randomUUID } from 'node:crypto';
import type { Brand } from '../branding.ts';
import type { ComposeAccountMail } from '../core/account.ts';
import type { ComposeSignInMail } from '../core/sign-in.ts';
import { LOCALES, type Locale } from '../i18n/catalog.ts';
import { sealMessage } from './outbox.ts';
import { renderAccountMessage } from './account-messages.ts';
import { renderSignInMessage } from './sign-in-message.ts';

/** The request's language when it names a catalog, else the configured one (or English). */
export function mailLocale(requested: string | null, configured: 'auto' | Locale): Locale {
  if (configured !== 'auto') return configured;
  return (LOCALES as readonly string[]).includes(requested ?? '') ? (requested as Locale) : 'en';
}

export function composeSignInMail(options: {
  sealKey: Buffer;
  brand: Brand;
  locale: 'auto' | Locale;
  tokenTtlSeconds: number;
}): ComposeSignInMail {
  return ({ to, link, code, record, requestId, locale }) => {
    const message = renderSignInMessage({
      productName: options.brand.productName,
      brand: options.brand,
      locale: mailLocale(locale, options.locale),
      link,
      code,
      email: to,
      expiresInSeconds: options.tokenTtlSeconds,
      requestedAt: record.createdAt,
      ip: record.requestIp,
      userAgent: record.requestUserAgent,
    });
    return {
      id: randomUUID(),
      createdAt: record.createdAt,
      requestId,
      recipient: to,
      payload: sealMessage(options.sealKey, { to, ...message }),
    };
  };
}

/** The account flows' emails (password reset and notices, email verification and change), sealed like the sign-in email. */
export function composeAccountMail(options: { sealKey: Buffer; brand: Brand; locale: 'auto' | Locale }): ComposeAccountMail {
  return (mail, envelope) => {
    const message = renderAccountMessage({
      mail,
      email: envelope.to,
      at: envelope.at,
      ip: envelope.ip,
      userAgent: envelope.userAgent,
      locale: mailLocale(envelope.locale, options.locale),
      brand: options.brand,
    });
    return {
      id: randomUUID(),
      createdAt: envelope.at,
      requestId: envelope.requestId,
      recipient: envelope.to,
      payload: sealMessage(options.sealKey, { to: envelope.to, ...message }),
    };
  };
}
