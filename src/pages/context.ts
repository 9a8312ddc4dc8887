import type { Brand } from '../branding.ts';
import type { Translator } from '../i18n/catalog.ts';

/** What every page needs from the request: branding, language, version, correlation. */
export interface PageContext {
  productName: string;
  version: string;
  requestId: string | null;
  /** The request's catalog (Accept-Language or LATCHKEY_LOCALE). */
  t: Translator;
  brand: Brand;
  /**
   * This browser's CSRF token (http/csrf.ts), set by http/pages.ts for every
   * request; every POST form renders it with csrfField() (pages/csrf-field.ts).
   */
  csrfToken?: string;
}
