// The sign-in email: a link, a code, when it expires and who asked. Built on the
// shared email frame (mail/layout.ts) and the message catalog, so it is escaped,
// translated and branded like every other template.
import { DEFAULT_BRAND, type Brand } from '../branding.ts';
import {
  durationInWords as durationIn,
  formatUtc as formatUtcTime,
  messageParts,
  translator,
  type Locale,
} from '../i18n/catalog.ts';
import { renderEmail, singleLine, webUrl, type RenderedMessage } from './layout.ts';
import type { MailTemplate } from './templates.ts';
import { describeUserAgent, shownIp } from './user-agent.ts';
import { absoluteUrlFor } from '../route-table.ts';

export type { RenderedMessage } from './layout.ts';

export interface SignInMessageInput {
  productName: string;
  link: string;
  code: string;
  email: string;
  expiresInSeconds: number;
  /** Epoch ms. */
  requestedAt: number;
  ip: string | null;
  userAgent: string | null;
  /** Default 'en'. */
  locale?: Locale;
  /** Logo, accent colour, support address; default the built-in look. */
  brand?: Brand;
}

/** English wording, kept for callers that do not translate. */
export function durationInWords(seconds: number): string {
  return durationIn(translator('en'), seconds);
}

export const formatUtc = formatUtcTime;

export function renderSignInMessage(input: SignInMessageInput): RenderedMessage {
  const t = translator(input.locale ?? 'en');
  const brand = { ...(input.brand ?? DEFAULT_BRAND), productName: singleLine(input.productName) };
  const product = brand.productName;
  const link = webUrl(input.link);
  const device = describeUserAgent(input.userAgent, t);
  const time = formatUtc(input.requestedAt);
  const ip = shownIp(input.ip);
  const requested = ip
    ? t('mail.requestedFromIp', { device, ip, time })
    : t('mail.requestedFrom', { device, time });
  const footer = [requested, t('mail.ignore')];
  if (brand.supportEmail) footer.push(t('mail.support', { email: brand.supportEmail }));
  return renderEmail({
    t,
    brand,
    subject: t('mail.signIn.subject', { product }),
    blocks: [
      { kind: 'heading', text: t('mail.signIn.subject', { product }) },
      { kind: 'paragraph', only: 'html', parts: messageParts(t, 'mail.signIn.intro', { email: input.email }) },
      { kind: 'paragraph', only: 'text', parts: messageParts(t, 'mail.signIn.introText', { email: input.email }) },
      { kind: 'button', label: t('mail.signIn.button', { product }), href: link },
      { kind: 'code', intro: t('mail.signIn.codeIntro'), code: input.code },
      { kind: 'paragraph', muted: true, parts: t('mail.signIn.expires', { duration: durationIn(t, input.expiresInSeconds) }) },
      { kind: 'rawLink', intro: t('mail.pasteLink'), href: link },
      { kind: 'footer', lines: footer },
    ],
  });
}

/** The registry entry (mail/templates.ts): what `latchkey preview-email` renders. */
export const signInTemplate: MailTemplate = {
  name: 'sign-in',
  description: 'Sign-in link and code, sent when someone asks to sign in.',
  sample: ({ locale, brand, baseUrl }) =>
    renderSignInMessage({
      productName: brand.productName,
      brand,
      locale,
      link: absoluteUrlFor(baseUrl, 'verifyPage', undefined, { token: `${'pREv1ew-T0ken_'.repeat(3)}x` }),
      code: '048213',
      email: 'ada@example.com',
      expiresInSeconds: 600,
      requestedAt: Date.UTC(2026, 10, 22, 13, 45),
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    }),
};
