// The message catalogs and the choice between them. Pages and mail ask for a
// Translator; nothing else in the code holds user-facing sentences.
import { ERROR_CODES, type ErrorCode } from '../core/errors.ts';
import { de } from './de.ts';
import { en, type MessageKey } from './en.ts';

export type { MessageKey } from './en.ts';
export type Catalog = Record<MessageKey, string>;

export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const CATALOGS: Record<Locale, Catalog> = { en, de };

export type MessageParams = Record<string, string | number>;

export interface Translator {
  readonly locale: Locale;
  (key: MessageKey, params?: MessageParams): string;
}

/** Replaces {name} placeholders; an unknown placeholder stays visible rather than vanishing. */
export function interpolate(template: string, params: MessageParams = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translator(locale: Locale): Translator {
  const catalog = CATALOGS[locale];
  const t = (key: MessageKey, params?: MessageParams) => interpolate(catalog[key], params);
  return Object.assign(t, { locale });
}

/**
 * A code's message: what its page says, and in English what its JSON body says
 * (issue #13: the words of an error live only in the catalogs).
 */
export function errorMessage(code: ErrorCode, locale: Locale = 'en'): string {
  return CATALOGS[locale][`error.${code}.message`];
}

/** Each code's English message, for library callers (src/index.ts): read from the en catalog, not a second table. */
export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = Object.freeze(
  Object.fromEntries(ERROR_CODES.map((code) => [code, errorMessage(code)])) as Record<ErrorCode, string>,
);

/** A message cut at its placeholders, so a renderer can style the values (bold address) and escape the rest. */
export interface MessagePart {
  text: string;
  /** The placeholder name this part filled, if it came from params. */
  param?: string;
}

export function messageParts(t: Translator, key: MessageKey, params: MessageParams = {}): MessagePart[] {
  const parts: MessagePart[] = [];
  const template = CATALOGS[t.locale][key];
  let last = 0;
  for (const match of template.matchAll(/\{(\w+)\}/g)) {
    const name = match[1] ?? '';
    if (!(name in params)) continue;
    if (match.index > last) parts.push({ text: template.slice(last, match.index) });
    parts.push({ text: String(params[name]), param: name });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return parts;
}

function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/**
 * The configured locale, or with 'auto' the best match of Accept-Language
 * (RFC 9110 §12.5.4: quality values, language ranges like de-AT match "de").
 * English when nothing matches.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined, configured: 'auto' | Locale): Locale {
  if (configured !== 'auto') return configured;
  const ranges = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { language: range.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0 && r.language !== '')
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { language } of ranges) if (isLocale(language)) return language;
  return 'en';
}

/** "10 minutes", "1 hour", "90 minutes": whole hours when exact, else minutes. */
const PLURAL_RULES = new Map<string, Intl.PluralRules>();
/** Intl objects are costly to build; one per locale is enough. */
function pluralRules(locale: string): Intl.PluralRules {
  let rules = PLURAL_RULES.get(locale);
  if (!rules) PLURAL_RULES.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules;
}

export function durationInWords(t: Translator, seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  const plural = pluralRules(t.locale);
  if (minutes % 60 === 0) {
    const hours = minutes / 60;
    return t(plural.select(hours) === 'one' ? 'duration.hour.one' : 'duration.hour.other', { count: hours });
  }
  return t(plural.select(minutes) === 'one' ? 'duration.minute.one' : 'duration.minute.other', { count: minutes });
}

/** "2026-11-22 13:45 UTC": the reader's time zone is unknown, so say which one. */
export function formatUtc(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
