// redirectTo is checked when a link is issued and again when it is used: only a
// same-origin path or an exact allowlisted origin, never a requester-chosen host.

export interface RedirectPolicy {
  baseUrl: URL;
  allowedOrigins: readonly string[];
  defaultPath: string;
}

export function checkRedirect(value: unknown, policy: RedirectPolicy): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (/[\p{Cc}\s\\]/u.test(value)) return null;
  if (value.startsWith('/') && !value.startsWith('//')) {
    const url = new URL(value, policy.baseUrl);
    return url.origin === policy.baseUrl.origin ? `${url.pathname}${url.search}${url.hash}` : null;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  if (url.origin === policy.baseUrl.origin || policy.allowedOrigins.includes(url.origin)) return url.href;
  return null;
}

export function redirectOrDefault(value: unknown, policy: RedirectPolicy): string {
  return checkRedirect(value, policy) ?? policy.defaultPath;
}
