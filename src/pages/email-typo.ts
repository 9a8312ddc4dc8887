// "gmial.com → did you mean gmail.com?": a hint, never a correction: the person
// decides. The same list and distance run in the browser (assets/sign-in.js gets
// the list from a data attribute), so the hint shows while typing with
// JavaScript and after submitting without it.

/** Domains common enough that a near miss is far more likely a typo than a real domain. */
export const COMMON_EMAIL_DOMAINS = [
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.de', 'yahoo.co.uk', 'hotmail.com', 'hotmail.de', 'outlook.com',
  'outlook.de', 'live.com', 'msn.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com', 'proton.me', 'protonmail.com',
  'gmx.de', 'gmx.net', 'web.de', 't-online.de', 'mail.com', 'yandex.com', 'zoho.com', 'fastmail.com',
] as const;

/** Optimal string alignment distance: Levenshtein plus swapped neighbours ("gmial"). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      rows[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** No address is longer (RFC 5321 4.5.3.1.3); the hint never measures more (issue #12 finding 1). */
const MAX_ADDRESS_LENGTH = 254;

/** The address with a common domain in place of a near miss, or null. */
export function suggestEmail(email: string): string | null {
  // Bounded before any work, whatever the caller checked: the distance is O(n·m).
  if (email.length > MAX_ADDRESS_LENGTH) return null;
  const at = email.lastIndexOf('@');
  if (at < 1) return null;
  const domain = email.slice(at + 1).trim().toLowerCase();
  if (domain.length < 4 || (COMMON_EMAIL_DOMAINS as readonly string[]).includes(domain)) return null;
  let best: { domain: string; distance: number } | null = null;
  for (const candidate of COMMON_EMAIL_DOMAINS) {
    // One slip for short domains, two for longer ones: "gmal.com" yes, "gmx.at" → "gmx.de" no.
    const allowed = candidate.length >= 8 ? 2 : 1;
    // The length difference is a lower bound of the distance: most candidates cost nothing.
    if (Math.abs(domain.length - candidate.length) > allowed) continue;
    const distance = editDistance(domain, candidate);
    if (distance <= allowed && (!best || distance < best.distance)) best = { domain: candidate, distance };
  }
  return best ? `${email.slice(0, at)}@${best.domain}` : null;
}
