// The passkeys' relying-party ID (issue #17, WebAuthn Level 3 §5.1.4.1): the
// base URL's host, or LATCHKEY_PASSKEY_RP_ID, a registrable parent of it for
// the shared-cookie setup (auth.example.com with app.example.com: example.com).
// Browsers refuse WebAuthn on an IP-address origin, so with such a base URL
// passkeys are unavailable (null) rather than broken. Checked once, at startup.

import { isIP } from 'node:net';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The RP ID to use (null: passkeys unavailable), or a problem naming the variable. */
export function resolvePasskeyRpId(baseUrl: URL, configured: string | null): { rpId: string | null; problem: string | null } {
  const host = baseUrl.hostname.toLowerCase();
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) {
    const problem = configured === null ? null : 'LATCHKEY_PASSKEY_RP_ID: passkeys need a base URL with a domain name; browsers refuse them on an IP address';
    return { rpId: null, problem };
  }
  if (configured === null) return { rpId: host, problem: null };
  const rpId = configured.toLowerCase().replace(/\.$/, '');
  const labels = rpId.split('.');
  // A registrable parent has at least two labels ("com" alone is a public suffix a browser refuses).
  const wellFormed = labels.every((label) => LABEL.test(label)) && (rpId === host || labels.length >= 2);
  if (!wellFormed || (rpId !== host && !host.endsWith(`.${rpId}`))) {
    return { rpId: null, problem: `LATCHKEY_PASSKEY_RP_ID: "${configured}" must be the base URL's host (${host}) or a registrable parent domain of it` };
  }
  return { rpId, problem: null };
}
