// The emails of the account flows (issue #5): password reset, "your password was
// changed", email verification, and the two emails of an email change (the
// confirmation to the new address, the notice with "this wasn't me" to the old
// one). Built on the shared email frame (mail/layout.ts) and the message
// catalogs, so they are escaped, translated and branded like the sign-in email.
import type { AccountMail } from '../core/account.ts';
import { DEFAULT_BRAND, type Brand } from '../branding.ts';
import { durationInWords, formatUtc, messageParts, translator, type Locale, type Translator } from '../i18n/catalog.ts';
import { renderEmail, singleLine, webUrl, type EmailBlock, type RenderedMessage } from './layout.ts';
import type { MailTemplate } from './templates.ts';
import { describeUserAgent, shownIp } from './user-agent.ts';
import { absoluteUrlFor, type RouteName } from '../route-table.ts';

export interface AccountMessageInput {
  mail: AccountMail;
  /** The recipient. */
  email: string;
  /** When it was asked for (epoch ms). */
  at: number;
  ip: string | null;
  userAgent: string | null;
  locale?: Locale;
  brand?: Brand;
}

function requested(t: Translator, input: AccountMessageInput): string {
  const device = describeUserAgent(input.userAgent, t);
  const time = formatUtc(input.at);
  const ip = shownIp(input.ip);
  return ip ? t('mail.requestedFromIp', { device, ip, time }) : t('mail.requestedFrom', { device, time });
}

/** HTML: a button. Text: the bare link on its own line. */
function button(label: string, href: string): EmailBlock {
  return { kind: 'button', label, href: webUrl(href) };
}

/** HTML only: "paste this link" with the raw URL. */
function pasteLink(t: Translator, href: string): EmailBlock {
  return { kind: 'rawLink', intro: t('mail.pasteLink'), href: webUrl(href) };
}

const NOTICE_KEYS = {
  totp_enabled: 'totpEnabled',
  totp_disabled: 'totpDisabled',
  recovery_codes_regenerated: 'recoveryCodesRegenerated',
  recovery_code_used: 'recoveryCodeUsed',
  email_sign_in_alone: 'emailSignInAlone',
  email_sign_in_requires_totp: 'emailSignInTotp',
  passkey_added: 'passkeyAdded',
  passkey_removed: 'passkeyRemoved',
  email_sign_in_requires_passkey: 'emailRequiresPasskey',
  email_sign_in_without_passkey: 'emailWithoutPasskey',
  second_factor_reset: 'secondFactorReset',
} as const;

/** What to do if the person did not make the change: a passkey can be removed from the account page; a reset was the operator's. */
function notYouKey(kind: keyof typeof NOTICE_KEYS, added: boolean) {
  if (kind === 'passkey_added') return 'mail.notice.notYouPasskey';
  if (kind === 'second_factor_reset') return 'mail.notice.notYouReset';
  return added ? 'mail.notice.notYouAdded' : 'mail.notice.notYou';
}

export function renderAccountMessage(input: AccountMessageInput): RenderedMessage {
  const t = translator(input.locale ?? 'en');
  const brand = input.brand ?? DEFAULT_BRAND;
  const product = singleLine(brand.productName);
  const { mail, email } = input;
  const footer = (...lines: string[]): EmailBlock => ({
    kind: 'footer',
    lines: brand.supportEmail ? [...lines, t('mail.support', { email: brand.supportEmail })] : lines,
  });
  const frame = (subject: string, blocks: EmailBlock[]) =>
    renderEmail({ t, brand: { ...brand, productName: product }, subject, blocks: [{ kind: 'heading', text: subject }, ...blocks] });

  switch (mail.kind) {
    case 'password_reset':
      return frame(t('mail.reset.subject', { product }), [
        { kind: 'paragraph', only: 'html', parts: messageParts(t, 'mail.reset.intro', { email }) },
        { kind: 'paragraph', only: 'text', parts: messageParts(t, 'mail.reset.introText', { email }) },
        button(t('mail.reset.button'), mail.link),
        { kind: 'code', intro: t('mail.reset.codeIntro'), code: mail.code },
        { kind: 'paragraph', muted: true, parts: t('mail.reset.expires', { duration: durationInWords(t, mail.expiresInSeconds) }) },
        pasteLink(t, mail.link),
        footer(requested(t, input), t('mail.reset.ignore')),
      ]);
    case 'password_changed': {
      const time = formatUtc(input.at);
      const device = describeUserAgent(input.userAgent, t);
      return frame(t(`mail.passwordChanged.subject.${mail.change}`, { product }), [
        { kind: 'paragraph', parts: messageParts(t, `mail.passwordChanged.body.${mail.change}`, { email, time, device }) },
        { kind: 'paragraph', parts: t(mail.change === 'reset' ? 'mail.passwordChanged.signedOutAll' : 'mail.passwordChanged.signedOutOthers') },
        { kind: 'paragraph', parts: t('mail.passwordChanged.notYou') },
        button(t('mail.passwordChanged.button'), mail.resetLink),
        footer(t('mail.notice.why')),
      ]);
    }
    case 'totp_enabled':
    case 'totp_disabled':
    case 'recovery_codes_regenerated':
    case 'recovery_code_used':
    case 'email_sign_in_alone':
    case 'email_sign_in_requires_totp':
    case 'passkey_added':
    case 'passkey_removed':
    case 'email_sign_in_requires_passkey':
    case 'email_sign_in_without_passkey':
    case 'second_factor_reset': {
      const key = NOTICE_KEYS[mail.kind];
      const time = formatUtc(input.at);
      const device = describeUserAgent(input.userAgent, t);
      // A second factor someone else added cannot be removed without it: the owner needs another way back.
      const added =
        mail.kind === 'totp_enabled' || mail.kind === 'recovery_codes_regenerated' || mail.kind === 'email_sign_in_requires_totp' || mail.kind === 'passkey_added' || mail.kind === 'email_sign_in_requires_passkey';
      return frame(t(`mail.notice.${key}.subject`, { product }), [
        { kind: 'paragraph', parts: messageParts(t, `mail.notice.${key}.body`, { email, time, device }) },
        { kind: 'paragraph', parts: t(notYouKey(mail.kind, added)) },
        button(t('mail.notice.button'), mail.accountLink),
        footer(t('mail.notice.why')),
      ]);
    }
    case 'email_verify':
      return frame(t('mail.verify.subject', { product }), [
        { kind: 'paragraph', only: 'html', parts: messageParts(t, 'mail.verify.intro', { email, product }) },
        { kind: 'paragraph', only: 'text', parts: messageParts(t, 'mail.verify.introText', { email, product }) },
        button(t('mail.verify.button'), mail.link),
        { kind: 'paragraph', muted: true, parts: t('mail.linkExpires', { duration: durationInWords(t, mail.expiresInSeconds) }) },
        pasteLink(t, mail.link),
        footer(requested(t, input), t('mail.verify.ignore')),
      ]);
    case 'email_change_confirm':
      // The asking account's address is not shown: its owner chose that text, and this
      // mail goes to any address they name (a variant of issue #12 finding 7).
      return frame(t('mail.emailChange.subject', { product }), [
        { kind: 'paragraph', only: 'html', parts: messageParts(t, 'mail.emailChange.intro', { email, product }) },
        { kind: 'paragraph', only: 'text', parts: messageParts(t, 'mail.emailChange.introText', { email, product }) },
        button(t('mail.emailChange.button'), mail.link),
        { kind: 'paragraph', muted: true, parts: t('mail.linkExpires', { duration: durationInWords(t, mail.expiresInSeconds) }) },
        pasteLink(t, mail.link),
        footer(requested(t, input), t('mail.emailChange.ignore')),
      ]);
    case 'email_change_notice':
      if (mail.cancelLink === null) {
        return frame(t('mail.emailNotice.subject', { product }), [
          { kind: 'paragraph', parts: messageParts(t, 'mail.emailNotice.intro', { email, newEmail: mail.newEmail, product }) },
          { kind: 'paragraph', parts: t('mail.emailNotice.ifYou') },
          { kind: 'paragraph', parts: t('mail.emailNotice.guarded') },
          footer(requested(t, input)),
        ]);
      }
      return frame(t('mail.emailNotice.subject', { product }), [
        { kind: 'paragraph', parts: messageParts(t, 'mail.emailNotice.intro', { email, newEmail: mail.newEmail, product }) },
        { kind: 'paragraph', parts: t('mail.emailNotice.ifYou') },
        { kind: 'paragraph', parts: t('mail.emailNotice.notYou') },
        button(t('mail.emailNotice.button'), mail.cancelLink),
        { kind: 'paragraph', muted: true, parts: t('mail.emailNotice.expires', { duration: durationInWords(t, mail.expiresInSeconds) }) },
        pasteLink(t, mail.cancelLink),
        footer(requested(t, input)),
      ]);
  }
}

// Registry entries (mail/templates.ts): what `latchkey preview-email` renders.

const SAMPLE_TOKEN = `${'pREv1ew-T0ken_'.repeat(3)}x`;
const SAMPLE = {
  email: 'ada@example.com',
  at: Date.UTC(2026, 10, 22, 13, 45),
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};
const sampleLink = (baseUrl: string, page: RouteName) => absoluteUrlFor(baseUrl, page, undefined, { token: SAMPLE_TOKEN });

function template(name: string, description: string, mail: (baseUrl: string) => AccountMail, email = SAMPLE.email): MailTemplate {
  return {
    name,
    description,
    sample: ({ locale, brand, baseUrl }) => renderAccountMessage({ ...SAMPLE, email, mail: mail(baseUrl), locale, brand }),
  };
}

export const accountTemplates: readonly MailTemplate[] = [
  template('password-reset', 'Password reset link and code, sent when someone asks to reset (or add) a password.', (baseUrl) => ({
    kind: 'password_reset',
    link: sampleLink(baseUrl, 'passwordResetPage'),
    code: '731904',
    expiresInSeconds: 900,
  })),
  template('password-changed', 'Notice after a password was added, changed, removed or reset, with a way back.', (baseUrl) => ({
    kind: 'password_changed',
    change: 'changed',
    resetLink: absoluteUrlFor(baseUrl, 'passwordForgotPage'),
  })),
  template('totp-disabled', 'Security notice after two-factor authentication was turned off.', (baseUrl) => ({
    kind: 'totp_disabled',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('totp-enabled', 'Security notice after two-factor authentication was turned on.', (baseUrl) => ({
    kind: 'totp_enabled',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('recovery-codes-regenerated', 'Security notice after a new set of recovery codes replaced the old one.', (baseUrl) => ({
    kind: 'recovery_codes_regenerated',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('email-sign-in-alone', 'Security notice after email sign-in stopped asking for the authenticator code.', (baseUrl) => ({
    kind: 'email_sign_in_alone',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('email-sign-in-requires-totp', 'Security notice after email sign-in started asking for the authenticator code again.', (baseUrl) => ({
    kind: 'email_sign_in_requires_totp',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('passkey-added', 'Security notice after a passkey was added to the account (issue #17).', (baseUrl) => ({
    kind: 'passkey_added',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('passkey-removed', 'Security notice after a passkey was removed from the account (issue #17).', (baseUrl) => ({
    kind: 'passkey_removed',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('email-sign-in-requires-passkey', 'Security notice after email sign-in started asking for a passkey (issue #17).', (baseUrl) => ({
    kind: 'email_sign_in_requires_passkey',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('email-sign-in-without-passkey', 'Security notice after email sign-in stopped asking for a passkey (issue #17).', (baseUrl) => ({
    kind: 'email_sign_in_without_passkey',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('second-factor-reset', "Security notice after an operator reset the account's second factors (latchkey users reset-second-factor, the admin API).", (baseUrl) => ({
    kind: 'second_factor_reset',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('recovery-code-used', 'Security notice after a recovery code was used (to sign in, or to change two-factor settings).', (baseUrl) => ({
    kind: 'recovery_code_used',
    accountLink: absoluteUrlFor(baseUrl, 'account'),
  })),
  template('email-verify', "Verification link for the account's address.", (baseUrl) => ({
    kind: 'email_verify',
    link: sampleLink(baseUrl, 'emailVerifyPage'),
    expiresInSeconds: 86_400,
  })),
  template(
    'email-change-confirm',
    'Confirmation link, sent to the new address of an email change.',
    (baseUrl) => ({ kind: 'email_change_confirm', link: sampleLink(baseUrl, 'emailConfirmPage'), oldEmail: SAMPLE.email, expiresInSeconds: 86_400 }),
    'ada.lovelace@example.org',
  ),
  template('email-change-notice', 'Notice to the old address of an email change, with "this wasn\'t me".', (baseUrl) => ({
    kind: 'email_change_notice',
    newEmail: 'ada.lovelace@example.org',
    cancelLink: sampleLink(baseUrl, 'emailCancelPage'),
    expiresInSeconds: 86_400,
  })),
  template('email-change-notice-guarded', 'Notice to the old address of an email change the account\'s second factor guards: no "this wasn\'t me" link.', () => ({
    kind: 'email_change_notice',
    newEmail: 'ada.lovelace@example.org',
    cancelLink: null,
    expiresInSeconds: 86_400,
  })),
];
