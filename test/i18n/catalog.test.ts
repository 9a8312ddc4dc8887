// The message catalogs: every key in every catalog, the same placeholders in
// each translation, and for every code of the error registry (core/errors.ts) a
// status there and a title, message and reason in each catalog, the only place
// its words live (issue #13). tsc catches a missing key in a typed catalog; this also catches extra
// or empty ones, and placeholders lost in translation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERRORS } from '../../src/core/errors.ts';
import { CATALOGS, ERROR_MESSAGES, LOCALES, negotiateLocale, translator } from '../../src/i18n/catalog.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const english = CATALOGS.en as Record<string, string>;

describe('message catalogs', () => {
  for (const locale of LOCALES) {
    const catalog = CATALOGS[locale] as Record<string, string>;

    it(`${locale}: has exactly the English keys, none empty`, () => {
      assert.deepEqual(Object.keys(catalog).sort(), Object.keys(english).sort());
      for (const [key, text] of Object.entries(catalog)) assert.ok(text.trim().length > 0, `${locale} ${key} is empty`);
    });

    it(`${locale}: keeps every placeholder of each English message`, () => {
      for (const [key, text] of Object.entries(english)) {
        assert.deepEqual(placeholders(catalog[key] ?? ''), placeholders(text), `${locale} ${key}`);
      }
    });

    it(`${locale}: every error code has a title, a message and a reason`, () => {
      for (const code of ERROR_CODES) {
        for (const part of ['title', 'message', 'why']) {
          const text = catalog[`error.${code}.${part}`];
          assert.ok(text && text.trim().length > 0, `${locale}: error.${code}.${part} missing`);
        }
      }
    });
  }

  it('every error code has an error status in the registry, and its JSON English is the page’s', () => {
    assert.ok(ERROR_CODES.length > 0);
    for (const code of ERROR_CODES) {
      const { status } = ERRORS[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: status ${status}`);
      assert.equal(ERROR_MESSAGES[code], english[`error.${code}.message`], `${code}: the library's English is the en catalog's`);
    }
    assert.deepEqual(Object.keys(ERROR_MESSAGES).sort(), [...ERROR_CODES].sort());
  });

  it('the catalogs describe no error code the registry does not have', () => {
    for (const locale of LOCALES) {
      const described = new Set(Object.keys(CATALOGS[locale]).flatMap((key) => /^error\.([a-z_]+)\.(title|message|why)$/.exec(key)?.[1] ?? []));
      assert.deepEqual([...described].filter((code) => !(ERROR_CODES as readonly string[]).includes(code)), [], locale);
    }
  });

  it('the countdown texts keep {seconds} for the pages’ script to fill in', () => {
    for (const locale of LOCALES) {
      const t = translator(locale);
      assert.match(t('checkEmail.resendWait'), /\{seconds\}/);
      assert.match(t('errorPage.newLinkWait'), /\{seconds\}/);
      assert.match(t('errorPage.newEmailWait'), /\{seconds\}/);
    }
  });

  it('German is a translation, not a copy of the English', () => {
    const same = Object.keys(english).filter((key) => (CATALOGS.de as Record<string, string>)[key] === english[key] && /[a-z]{4}/.test(english[key]!));
    // Only words both languages share (product names, "Request ID"-like labels) may be identical.
    assert.ok(same.length <= 3, `untranslated: ${same.join(', ')}`);
  });
});

describe('negotiateLocale', () => {
  it('follows Accept-Language quality values and language ranges, English otherwise', () => {
    assert.equal(negotiateLocale('de-DE,de;q=0.9,en;q=0.8', 'auto'), 'de');
    assert.equal(negotiateLocale('fr-FR, de-AT;q=0.5, en;q=0.4', 'auto'), 'de');
    assert.equal(negotiateLocale('en-GB, de;q=0.9', 'auto'), 'en');
    assert.equal(negotiateLocale('de;q=0, en', 'auto'), 'en');
    assert.equal(negotiateLocale('fr, es', 'auto'), 'en');
    assert.equal(negotiateLocale(undefined, 'auto'), 'en');
  });

  it('a configured locale wins over the browser', () => {
    assert.equal(negotiateLocale('en-US', 'de'), 'de');
    assert.equal(negotiateLocale('de-DE', 'en'), 'en');
  });
});
