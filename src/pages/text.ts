// Catalog text inside HTML: the sentence is escaped like any value, and the
// values it names (an address, a device) are set in <strong>.
import { html } from 'hono/html';
import { messageParts, type MessageKey, type MessageParams, type Translator } from '../i18n/catalog.ts';

/**
 * An address that may wrap before "@" and ".", not in the middle of a word,
 * when it is wider than the line on its own (a long address on a phone).
 */
export function breakable(value: string) {
  return value.split(/(?=[@.])/).map((piece, i) => (i === 0 ? html`${piece}` : html`<wbr>${piece}`));
}

export interface AddressOptions {
  /** false: plain text, not bold. */
  strong?: boolean;
  testId?: string;
  /** false: no wrap points at "@" and "." (a short, masked address). */
  breakable?: boolean;
}

/**
 * An address kept in one piece with the punctuation after it: the line breaks
 * before it rather than inside it ("Sign in as" / "a…@example.com?", not
 * "Sign in as a…" / "@example.com?"). style.css: .address is an inline block.
 */
export function address(value: string, after = '', options: AddressOptions = {}) {
  const inner = options.breakable === false ? html`${value}` : breakable(value);
  const shown = options.strong === false ? html`${inner}` : options.testId ? html`<strong data-testid="${options.testId}">${inner}</strong>` : html`<strong>${inner}</strong>`;
  return html`<span class="address">${shown}${after}</span>`;
}

/** The message with its values in <strong> (or plain, `strong: false`); an {email} is kept together (address()). */
export function rich(t: Translator, key: MessageKey, params: MessageParams = {}, options: AddressOptions = {}) {
  const parts = messageParts(t, key, params);
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.param === 'email') {
      // Punctuation right after the address travels with it.
      const next = parts[i + 1];
      const punctuation = next && !next.param ? (/^[.,:;!?…]+/.exec(next.text)?.[0] ?? '') : '';
      if (punctuation) parts[i + 1] = { text: next!.text.slice(punctuation.length) };
      out.push(address(part.text, punctuation, options));
    } else if (part.param) {
      out.push(options.strong === false ? html`${part.text}` : html`<strong>${part.text}</strong>`);
    } else {
      out.push(html`${part.text}`);
    }
  }
  return out;
}
