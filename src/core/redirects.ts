// redirectTo is checked when a link is issued and again when it is used: only a
// same-origin path, an exact allowlisted origin, or a host the forward-auth
// access rules protect (issue #16), never a requester-chosen host.

export interface RedirectPolicy {
  baseUrl: URL;
  allowedOrigins: readonly string[];
  defaultPath: string;
  /** A host some access rule names (core/access-rules.ts protects): the apps behind forward-auth. */
  protectedHost?: (host: string) => boolean;
}

const MAX_REDIRECT_LENGTH = 2048;

export function checkRedirect(value: unknown, policy: RedirectPolicy): string | null {
  const answer = checkedTarget(value, policy);
  // The bound holds for the answer too: percent-encoding makes 'é' six characters,
  // and an answer the same check refuses is not idempotent (issue #12 finding 13).
  return answer !== null && answer.length <= MAX_REDIRECT_LENGTH ? answer : null;
}

function checkedTarget(value: unknown, policy: RedirectPolicy): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REDIRECT_LENGTH) return null;
  if (/[\p{Cc}\s\\]/u.test(value)) return null;
  if (value.startsWith('/') && !value.startsWith('//')) {
    const url = new URL(value, policy.baseUrl);
    const target = `${url.pathname}${url.search}${url.hash}`;
    // Dot segments can collapse into '//' ('/.//evil.example' -> '//evil.example'):
    // the answer must pass this same check unchanged (issue #12 finding 13).
    return url.origin === policy.baseUrl.origin && isPlainPath(target) ? target : null;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  if (url.origin === policy.baseUrl.origin || policy.allowedOrigins.includes(url.origin)) return url.href;
  // A protected app, over https (or http when Latchkey itself is on http, in development): never a downgrade.
  const scheme = url.protocol === 'https:' || (url.protocol === 'http:' && policy.baseUrl.protocol === 'http:');
  if (scheme && policy.protectedHost?.(url.host) === true) return url.href;
  return null;
}

/** A path that no browser or later check reads as another host (protocol-relative). */
function isPlainPath(target: string): boolean {
  return target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\');
}

export function redirectOrDefault(value: unknown, policy: RedirectPolicy): string {
  return checkRedirect(value, policy) ?? policy.defaultPath;
}
