// One canonical form of an address, used identically by every flow: trimmed,
// domain lowercased and converted to punycode, local part kept as typed (RFC 5321
// says it may be case-sensitive; we lowercase it too because every mainstream
// provider treats it case-insensitively and two accounts differing only by case
// are an account-takeover risk). Anything an SMTP library or a mailbox might read
// differently from us is refused rather than "fixed".

import { domainToASCII } from 'node:url';

export type EmailResult = { ok: true; email: string } | { ok: false };

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** An address is at most 254 octets (RFC 5321 4.5.3.1.3); a little room for pasted spaces around it. */
const MAX_EMAIL_INPUT = 320;

export function canonicalizeEmail(input: unknown): EmailResult {
  // Bounded before any work on it, trimming included (issue #12 finding 1).
  if (typeof input !== 'string' || input.length > MAX_EMAIL_INPUT) return { ok: false };
  const value = input.trim();
  if (value.length === 0 || value.length > 254) return { ok: false };
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return { ok: false };
  const local = value.slice(0, at);
  const domainInput = value.slice(at + 1);
  // Dot-atom only: no quotes, comments, spaces, lists, or RFC 2047 encoded words
  // (some mail software decodes `=?…?=` into another address).
  if (local.length > 64 || !LOCAL_PART.test(local) || local.includes('=?')) return { ok: false };
  if (/[\s\p{Cc}]/u.test(domainInput) || domainInput.endsWith('.')) return { ok: false };
  const domain = domainToASCII(domainInput.toLowerCase());
  if (domain === '' || domain.length > 253) return { ok: false };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) return { ok: false };
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return { ok: false };
  const email = `${local.toLowerCase()}@${domain}`;
  // Punycode can lengthen a domain past what SMTP allows in a path (RFC 5321 4.5.3.1.3).
  return email.length > 254 ? { ok: false } : { ok: true, email };
}

/**
 * The mailbox a canonical address reaches, for the per-address caps only
 * (issue #12 finding 6): "victim+1@x" and "victim+2@x" are one inbox at every
 * provider that supports sub-addressing (RFC 5233), so they share one cap.
 * Only "+" is folded: "-" is a tag separator at a few providers but part of
 * many real names ("first-last"), which must not share a cap. Never used for
 * delivery or to find an account: the mail goes to the address as typed.
 */
export function mailboxKey(email: string): string {
  const at = email.lastIndexOf('@');
  const plus = email.indexOf('+');
  return plus > 0 && plus < at ? `${email.slice(0, plus)}${email.slice(at)}` : email;
}

/** "a…@example.com": enough for a person to recognise their address, not to harvest it. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at <= 0) return '…';
  return `${email[0]}…${email.slice(at)}`;
}
