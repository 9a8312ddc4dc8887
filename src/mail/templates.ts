// Every email Latchkey sends, in one registry. `latchkey preview-email` renders
// each entry with its sample data in every catalog (so a designer sees them all),
// test/mail/templates.test.ts checks each one's HTML and text parts, and the
// browser suite screenshots them. A new template adds one line to MAIL_TEMPLATES.
import type { Brand } from '../branding.ts';
import type { Locale } from '../i18n/catalog.ts';
import type { RenderedMessage } from './layout.ts';
import { accountTemplates } from './account-messages.ts';
import { signInTemplate } from './sign-in-message.ts';

export interface MailSampleInput {
  locale: Locale;
  brand: Brand;
  /** The deployment's origin, for links in the sample (LATCHKEY_BASE_URL). */
  baseUrl: string;
}

export interface MailTemplate {
  /** Lower-case and dashes (it names the preview files): "sign-in". */
  name: string;
  /** One line for the preview index: when this email is sent. */
  description: string;
  /** The message with made-up but realistic data (no secret from anywhere real). */
  sample(input: MailSampleInput): RenderedMessage;
}

export const MAIL_TEMPLATES: readonly MailTemplate[] = [signInTemplate, ...accountTemplates];
