// The forward-auth settings (issue #16), checked with the rest of the
// configuration so one start lists every problem: LATCHKEY_ACCESS_RULES (read
// and validated by core/access-rules.ts) and LATCHKEY_COOKIE_DOMAIN (a parent of
// the base URL's host that browsers accept as a cookie domain).
import { z } from 'zod';
import { ConfigError } from './config-error.ts';
import { loadAccessRules, parseAccessRules, type AccessRules } from './core/access-rules.ts';

export const COOKIE_DOMAIN_SCHEMA = z
  .string()
  .max(253)
  .regex(/^\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'must be a domain name like example.com')
  .nullable()
  .default(null);

/** The rules from the library option's object or the file, and the cookie domain; each problem goes to `problem`. */
export function forwardAuthSettings(
  rulesObject: unknown,
  rulesFile: string | null,
  domain: string | null,
  baseUrl: URL,
  problem: (message: string) => void,
): { accessRules: AccessRules | null; cookieDomain: string | null } {
  const cookieDomain = domain?.replace(/^\./, '').toLowerCase() ?? null;
  if (cookieDomain !== null && (!cookieDomain.includes('.') || /^[0-9.]+$/.test(cookieDomain))) {
    problem('LATCHKEY_COOKIE_DOMAIN: must be a domain of at least two labels (browsers refuse a cookie for "localhost", a top-level domain or an IP address)');
  } else if (cookieDomain !== null && baseUrl.hostname !== cookieDomain && !baseUrl.hostname.endsWith(`.${cookieDomain}`)) {
    problem(`LATCHKEY_COOKIE_DOMAIN: must be the base URL's host (${baseUrl.hostname}) or a parent of it, like ${baseUrl.hostname.split('.').slice(1).join('.') || 'example.com'}`);
  }
  return { accessRules: readAccessRules(rulesObject, rulesFile, problem), cookieDomain };
}

function readAccessRules(rulesObject: unknown, file: string | null, problem: (message: string) => void): AccessRules | null {
  try {
    if (rulesObject !== undefined && rulesObject !== null) return parseAccessRules(rulesObject, 'accessRules');
    return file === null ? null : loadAccessRules(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.message.split('\n').slice(1)) problem(line.trim());
    return null;
  }
}
