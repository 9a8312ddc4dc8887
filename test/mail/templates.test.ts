// Every registered email template (src/mail/templates.ts), in every catalog:
// a one-line subject with the product name, self-contained table-layout HTML,
// and a text part that carries every link of the HTML. Then `latchkey
// preview-email`, which renders them all to files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { brandFromConfig, DEFAULT_BRAND } from '../../src/branding.ts';
import { previewEmail } from '../../src/cli/preview-email.ts';
import { LOCALES } from '../../src/i18n/catalog.ts';
import { MAIL_TEMPLATES } from '../../src/mail/templates.ts';

const BASE_URL = 'https://auth.example.com';
const brand = brandFromConfig({ productName: 'Acme Cloud', logoUrl: null, accentColor: '#0f766e', supportEmail: 'help@acme.example' });
const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

describe('email templates', () => {
  it('the registry names each template once, in file-name-safe form', () => {
    assert.ok(MAIL_TEMPLATES.length >= 1);
    const names = MAIL_TEMPLATES.map((t) => t.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  for (const template of MAIL_TEMPLATES) {
    for (const locale of LOCALES) {
      it(`${template.name} (${locale}): subject, self-contained HTML, the same links in the text part`, () => {
        const message = template.sample({ locale, brand, baseUrl: BASE_URL });
        assert.match(message.subject, /Acme Cloud/);
        assert.doesNotMatch(message.subject, /[\r\n]/);
        assert.match(message.html, new RegExp(`<html lang="${locale}">`));
        assert.match(message.html, /<table role="presentation"/);
        // Inline CSS only, and nothing fetched from elsewhere unless a logo is configured.
        assert.doesNotMatch(message.html, /<script|<style|<link|<img|url\(/i);
        assert.ok(message.text.trim().length > 0);
        for (const href of hrefs(message.html).filter((h) => h.startsWith('http'))) {
          assert.ok(message.text.includes(href), `the text part lacks ${href}`);
        }
        if (brand.supportEmail) assert.ok(message.text.includes(brand.supportEmail) === message.html.includes(brand.supportEmail));
      });
    }

    it(`${template.name}: shows the configured logo, and only then an image`, () => {
      const withLogo = template.sample({ locale: 'en', brand: { ...DEFAULT_BRAND, logoUrl: 'https://cdn.example.com/logo.png' }, baseUrl: BASE_URL });
      assert.match(withLogo.html, /<img src="https:\/\/cdn\.example\.com\/logo\.png" alt="Latchkey"/);
    });
  }
});

describe('latchkey preview-email', () => {
  it('writes every template in every language, with an index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-preview-'));
    const lines: string[] = [];
    assert.equal(previewEmail(['--out', dir], { LATCHKEY_PRODUCT_NAME: 'Acme Cloud' }, (line) => lines.push(line)), 0);
    const expected = MAIL_TEMPLATES.flatMap((t) => LOCALES.flatMap((l) => [`${t.name}.${l}.html`, `${t.name}.${l}.txt`]));
    assert.deepEqual(readdirSync(dir).sort(), [...expected, 'index.html'].sort());
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const file of expected) assert.ok(index.includes(`href="${file}"`), file);
    for (const template of MAIL_TEMPLATES) {
      const text = readFileSync(join(dir, `${template.name}.de.txt`), 'utf8');
      assert.match(text, /^Subject: .*Acme Cloud.*\n\n/);
    }
  });

  it('--locale picks one language; an unknown one is refused with the usage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-preview-'));
    assert.equal(previewEmail(['--out', dir, '--locale', 'de'], {}, () => {}), 0);
    assert.deepEqual(readdirSync(dir).filter((f) => f !== 'index.html').every((f) => f.includes('.de.')), true);
    const lines: string[] = [];
    assert.equal(previewEmail(['--locale', 'fr'], {}, (line) => lines.push(line)), 2);
    assert.match(lines.join('\n'), /unknown locale "fr".*Usage: latchkey preview-email/s);
  });

  it('is a command of the latchkey CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-preview-'));
    const main = join(import.meta.dirname, '../../src/cli/main.ts');
    const { stdout } = await promisify(execFile)(process.execPath, [main, 'preview-email', '--out', dir, '--locale', 'en'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    assert.match(stdout, /sign-in\.en\.html/);
    assert.ok(readdirSync(dir).includes('sign-in.en.html'));
  });
});
