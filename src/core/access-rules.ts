// The access rules of forward-auth (issue #16): which signed-in accounts may open
// which host and path behind the operator's reverse proxy. Read from the JSON
// file LATCHKEY_ACCESS_RULES names, validated at start (every problem named by
// rule and field), compiled once; core/policy-access.ts decides with them.
//
// Matching, in the order written, first match decides, default deny:
// - host: an exact name or `*.example.com` (any name below example.com, not
//   example.com itself); ports ignored, case-insensitive, a trailing dot dropped.
//   Names are compared as the proxy sends them: an IDN in its punycode (xn--) form.
// - path: a prefix by whole segments (`/admin` matches `/admin` and `/admin/x`,
//   never `/administrator`), on the path with dot segments resolved and
//   percent-escapes of anything but `/` and `\` decoded, so `/a/../admin` and
//   `/%61dmin` meet the `/admin` rule. Case-sensitive, as most apps serve paths.
//   A request is judged on every reading an app may give its path
//   (pathReadings: `;params` dropped, `%2F`/`%5C` as separators) and allowed
//   only when every reading is.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configFailure } from '../config-error.ts';

/** A DNS name in ASCII (an IDN in its xn-- form): labels of letters, digits and hyphens. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ADDRESS = /^[^\s@<>(),;:"\\[\]]{1,64}@[a-z0-9.-]{1,253}$/;

const ruleSchema = z.strictObject({
  host: z
    .string()
    .max(260)
    .transform((value) => value.trim().toLowerCase().replace(/\.$/, ''))
    .refine((value) => HOST_NAME.test(value.startsWith('*.') ? value.slice(2) : value), {
      message: 'must be a host name like grafana.example.com or a pattern like *.example.com, without port or scheme (an IDN in its xn-- form)',
    }),
  path: z
    .string()
    .max(1024)
    .regex(/^\/[^\s?#%\\]*$/, 'must be a path starting with / (no query, fragment, spaces or percent-escapes)')
    .transform((value) => (value.length > 1 ? value.replace(/\/+$/, '') || '/' : value))
    .optional(),
  allow: z
    .array(
      z
        .string()
        .max(254)
        .transform((value) => value.trim().toLowerCase())
        .refine((value) => value === '*' || /^@[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(value) || ADDRESS.test(value), {
          message: 'each entry must be an address (ada@example.com), a domain (@example.com) or "*"',
        }),
    )
    .min(1, 'must list at least one address, @domain or "*"')
    .max(1000),
  secondFactor: z.boolean().optional(),
});

export type AccessRuleInput = z.input<typeof ruleSchema>;

export interface AccessRule {
  /** Its position in the file, from 1 (audit and log lines name it). */
  readonly number: number;
  /** Lower-case, no trailing dot; `*.` first for a pattern. */
  readonly host: string;
  /** '/' when the rule had none. */
  readonly path: string;
  /** Any signed-in account. */
  readonly anyAccount: boolean;
  readonly addresses: ReadonlySet<string>;
  /** Without the '@'. */
  readonly domains: ReadonlySet<string>;
  readonly secondFactor: boolean;
}

export interface AccessRules {
  readonly rules: readonly AccessRule[];
  /** Some rule lets in any signed-in account (the start warns when signup is open too). */
  readonly anyAccount: boolean;
  /** The first rule whose host and path match, or null. */
  match(host: string, path: string): AccessRule | null;
  /** Whether some rule names this host (a redirect after sign-in may go there). */
  protects(host: string): boolean;
}

const SOURCE = 'LATCHKEY_ACCESS_RULES';

/** Validates the parsed JSON; throws a ConfigError listing every problem by rule and field. */
export function parseAccessRules(value: unknown, source = SOURCE): AccessRules {
  const rules = (value as { rules?: unknown } | null)?.rules;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Array.isArray(rules)) {
    configFailure([`${source}: must be a JSON object {"rules": [ … ]}`]);
  }
  const extra = Object.keys(value).filter((key) => key !== 'rules');
  const problems = extra.length ? [`${source}: unknown field ${extra.map((key) => `"${key}"`).join(', ')} (only "rules")`] : [];
  if (rules.length > 1000) problems.push(`${source}: rules: at most 1000 rules`);
  const compiled: AccessRule[] = [];
  rules.slice(0, 1000).forEach((entry: unknown, index) => {
    const named = (entry as { host?: unknown } | null)?.host;
    const label = `${source}: rule ${index + 1}${typeof named === 'string' ? ` (${JSON.stringify(named.slice(0, 80))})` : ''}`;
    const parsed = ruleSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'rule';
        problems.push(`${label}: ${field}: ${issue.message}`);
      }
      return;
    }
    const { host, path, allow, secondFactor } = parsed.data;
    compiled.push({
      number: index + 1,
      host,
      path: path ?? '/',
      anyAccount: allow.includes('*'),
      addresses: new Set(allow.filter((entry) => !entry.startsWith('@') && entry !== '*')),
      domains: new Set(allow.filter((entry) => entry.startsWith('@')).map((entry) => entry.slice(1))),
      secondFactor: secondFactor ?? false,
    });
  });
  if (problems.length) configFailure(problems);
  return compileAccessRules(compiled);
}

/** Reads and validates the file LATCHKEY_ACCESS_RULES names. */
export function loadAccessRules(path: string): AccessRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    configFailure([`${SOURCE}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    configFailure([`${SOURCE}: ${path} is not JSON (${(error as Error).message})`]);
  }
  return parseAccessRules(value);
}

/**
 * A host as a request names it, ready to compare: lower-case, port and trailing
 * dot dropped; null when it is no plain DNS name (an IPv6 literal, non-ASCII,
 * characters no name has), which no rule matches.
 */
export function normalizeHost(value: string): string | null {
  if (value.length === 0 || value.length > 260) return null;
  const name = value.toLowerCase().replace(/:[0-9]{1,5}$/, '').replace(/\.$/, '');
  return HOST_NAME.test(name) ? name : null;
}

/** Non-empty segments of RFC 3986 pchars but '%', none of them '.' or '..', and an optional trailing '/'. */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,;=:@]+)*\/?$/;

/**
 * The path the upstream app will serve, ready to compare: dot segments resolved
 * (WHATWG URL, which also reads `%2e` as a dot), then percent-escapes decoded
 * except `%2F` and `%5C`, which stay escaped (they are no separator to the
 * rules). Null for malformed escapes.
 */
export function normalizePath(value: string): string | null {
  if (!value.startsWith('/') || value.length > 4096) return null;
  // The hot path (forward-auth asks on every proxied request): a path the URL parser would
  // return unchanged (segments of unreserved characters and sub-delims, no escape, no '.' or
  // '..' segment, no empty one) is its own normal form; the test checks it against the parser.
  if (PLAIN_PATH.test(value)) return value;
  let pathname: string;
  try {
    // Appended, never resolved against a base: '//admin/x' is a path, not a host 'admin'.
    pathname = new URL(`http://path.invalid${value}`).pathname.replace(/\/{2,}/g, '/');
  } catch {
    return null;
  }
  try {
    return pathname.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => decodeURIComponent(run).replace(/[/\\]/g, (c) => (c === '/' ? '%2F' : '%5C')));
  } catch {
    return null;
  }
}

/**
 * Every path an upstream app may plausibly serve for this one (review of issue
 * #16, finding 4): as normalizePath reads it; with `;params` dropped from each
 * segment (Tomcat, Spring, Jetty: `/admin;x/users` is `/admin/users`); with
 * `%2F` and `%5C` decoded as separators (servers that decode before routing:
 * `/admin%2Fusers`); and both. The decision must allow every one of them.
 * Null when the raw reading is malformed; distinct readings, the raw one first.
 */
export function pathReadings(value: string): string[] | null {
  const raw = normalizePath(value);
  if (raw === null) return null;
  // The hot path: without ';' or an escaped separator every reading is the raw one.
  if (!value.includes(';') && !/%(2F|5C)/i.test(value)) return [raw];
  const withoutParams = value.replace(/;[^/]*/g, '');
  const readings = [raw, normalizePath(withoutParams), decodedSeparators(value), decodedSeparators(withoutParams)];
  // A reading that cannot be made (a malformed escape once decoded) cannot be judged: refuse rather than skip it.
  if (readings.some((reading) => reading === null)) return null;
  return [...new Set(readings as string[])];
}

/** normalizePath after `%2F` / `%5C` became separators (a WHATWG URL reads `\` as `/` for http). */
function decodedSeparators(value: string): string | null {
  const decoded = value.replace(/%2F/gi, '/').replace(/%5C/gi, '/');
  return normalizePath(decoded.startsWith('/') ? decoded : `/${decoded}`);
}

function hostMatches(rule: AccessRule, host: string): boolean {
  if (!rule.host.startsWith('*.')) return rule.host === host;
  // '*.example.com': a name below example.com (one label or more), never example.com itself.
  return host.length > rule.host.length - 1 && host.endsWith(rule.host.slice(1));
}

function pathMatches(rule: AccessRule, path: string): boolean {
  if (rule.path === '/') return true;
  return path === rule.path || path.startsWith(`${rule.path}/`);
}

/** Already validated rules (parseAccessRules), compiled for matching. */
export function compileAccessRules(rules: readonly AccessRule[]): AccessRules {
  return {
    rules,
    anyAccount: rules.some((rule) => rule.anyAccount),
    match(host, path) {
      for (const rule of rules) if (hostMatches(rule, host) && pathMatches(rule, path)) return rule;
      return null;
    },
    protects(host) {
      const name = normalizeHost(host);
      return name !== null && rules.some((rule) => hostMatches(rule, name));
    },
  };
}

/** Whether the rule lets this account in (its second factor is judged apart). */
export function ruleAllows(rule: AccessRule, email: string): boolean {
  if (rule.anyAccount) return true;
  const address = email.toLowerCase();
  if (rule.addresses.has(address)) return true;
  const at = address.lastIndexOf('@');
  return at !== -1 && rule.domains.has(address.slice(at + 1));
}
