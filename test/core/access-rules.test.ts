// The forward-auth access rules (issue #16): validation with the rule and field
// named, and matching by host and path as an attacker would probe it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeHost, normalizePath, parseAccessRules, pathReadings, ruleAllows, type AccessRules } from '../../src/core/access-rules.ts';
import { ConfigError, resolveConfig } from '../../src/config.ts';
import { checkRedirect } from '../../src/core/redirects.ts';
import { createAccessPolicy, type AccessRequest } from '../../src/core/policy-access.ts';
import type { AuditEvent } from '../../src/core/audit.ts';
import type { AuthMethod } from '../../src/core/types.ts';


function rules(list: unknown[]): AccessRules {
  return parseAccessRules({ rules: list });
}

/** Which rule (by number) decides, with the request host and path normalized as the endpoint does. */
function decides(set: AccessRules, host: string, path: string): number | null {
  const name = normalizeHost(host);
  const normal = normalizePath(path);
  if (name === null || normal === null) return null;
  return set.match(name, normal)?.number ?? null;
}

describe('access rules: validation', () => {
  it('names the rule and the field of every problem, all at once', () => {
    assert.throws(
      () =>
        rules([
          { host: 'ok.example.com', allow: ['*'] },
          { host: 'https://grafana.example.com', allow: ['ada@example.com'] },
          { host: 'wiki.example.com', path: 'admin', allow: [] },
          { host: 'x.example.com', allow: ['not an address'], extra: true },
        ]),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /rule 2 \("https:\/\/grafana\.example\.com"\): host: must be a host name/);
        assert.match(error.message, /rule 3 \("wiki\.example\.com"\): path: must be a path starting with \//);
        assert.match(error.message, /rule 3 \("wiki\.example\.com"\): allow: must list at least one/);
        assert.match(error.message, /rule 4 \("x\.example\.com"\): allow\.0: each entry must be an address/);
        assert.match(error.message, /rule 4 \("x\.example\.com"\): extra: /);
        assert.doesNotMatch(error.message, /rule 1/);
        return true;
      },
    );
  });

  it('refuses a file that is not {"rules": [...]}, and non-ASCII host names (punycode only)', () => {
    assert.throws(() => parseAccessRules([{ host: 'a.example.com', allow: ['*'] }]), /must be a JSON object \{"rules"/);
    assert.throws(() => parseAccessRules({ rules: [], other: 1 }), /unknown field "other"/);
    assert.throws(() => rules([{ host: 'bücher.example', allow: ['*'] }]), /xn-- form/);
    assert.equal(decides(rules([{ host: 'xn--bcher-kva.example', allow: ['*'] }]), 'XN--BCHER-KVA.example', '/'), 1);
  });

  it('reads the file LATCHKEY_ACCESS_RULES names at start, and its problems join the other configuration problems', () => {
    assert.throws(
      () => resolveConfig({}, { LATCHKEY_ACCESS_RULES: '/nonexistent/rules.json', LATCHKEY_TOKEN_TTL: '5' }),
      (error: Error) => /LATCHKEY_ACCESS_RULES: cannot read \/nonexistent\/rules\.json \(ENOENT\)/.test(error.message) && /LATCHKEY_TOKEN_TTL/.test(error.message),
    );
    const config = resolveConfig({ accessRules: { rules: [{ host: 'App.Example.com.', allow: ['*'] }] } });
    assert.equal(config.accessRules?.rules[0]?.host, 'app.example.com');
  });
});

describe('access rules: matching', () => {
  const set = rules([
    { host: 'grafana.example.com', path: '/admin', allow: ['ada@example.com'], secondFactor: true },
    { host: 'grafana.example.com', allow: ['@example.com'] },
    { host: '*.example.com', allow: ['*'] },
    { host: 'example.com', path: '/wiki/', allow: ['bob@example.org'] },
  ]);

  it('first match by host and path decides', () => {
    assert.equal(decides(set, 'grafana.example.com', '/admin'), 1);
    assert.equal(decides(set, 'grafana.example.com', '/admin/users'), 1);
    assert.equal(decides(set, 'grafana.example.com', '/'), 2);
    assert.equal(decides(set, 'docs.example.com', '/'), 3);
    assert.equal(decides(set, 'example.com', '/wiki'), 4);
    assert.equal(decides(set, 'example.com', '/wiki/page'), 4);
  });

  it('paths match by whole segments: /admin is not /administrator', () => {
    assert.equal(decides(set, 'grafana.example.com', '/administrator'), 2);
    assert.equal(decides(set, 'grafana.example.com', '/admin.php'), 2);
    assert.equal(decides(set, 'example.com', '/wikipedia'), null);
  });

  it('dot segments and percent-escapes cannot walk around a path rule', () => {
    assert.equal(decides(set, 'grafana.example.com', '/public/../admin/x'), 1);
    assert.equal(decides(set, 'grafana.example.com', '/%61dmin'), 1);
    assert.equal(decides(set, 'grafana.example.com', '/public/%2e%2e/admin'), 1);
    assert.equal(decides(set, 'grafana.example.com', '/admin?x=/public'), 1);
    // An escaped slash is no separator to the rules (nor to most apps).
    assert.equal(normalizePath('/admin%2Fx'), '/admin%2Fx');
    assert.equal(normalizePath('/%E0%A4%A'), null);
    assert.equal(normalizePath('admin'), null);
  });

  it('*.example.com is every name below example.com, never a look-alike or the apex', () => {
    assert.equal(decides(set, 'evil-example.com', '/'), null);
    assert.equal(decides(set, 'example.com.evil.org', '/'), null);
    assert.equal(decides(set, 'a.b.example.com', '/'), 3);
    assert.equal(decides(set, 'example.com', '/'), null);
    assert.equal(decides(set, '.example.com', '/'), null);
  });

  it('hosts: case-insensitive, port and trailing dot ignored; nothing else is stretched', () => {
    assert.equal(decides(set, 'GRAFANA.Example.COM', '/'), 2);
    assert.equal(decides(set, 'grafana.example.com:8443', '/'), 2);
    assert.equal(decides(set, 'grafana.example.com.', '/admin'), 1);
    assert.equal(decides(set, 'grafana.example.com.:443', '/admin'), 1);
    assert.equal(normalizeHost('grafana.example.com..'), null);
    assert.equal(normalizeHost('[::1]:80'), null);
    assert.equal(normalizeHost('grafana.example.com@evil.org'), null);
    assert.equal(normalizeHost('grafana.example.com/x'), null);
    assert.equal(normalizeHost('bücher.example'), null);
    assert.equal(normalizeHost(''), null);
  });

  it('allow: listed addresses, address domains (exactly that domain), "*"', () => {
    const [admin, domain, any] = set.rules;
    assert.ok(ruleAllows(admin!, 'ada@example.com'));
    assert.ok(ruleAllows(admin!, 'ADA@example.com'));
    assert.ok(!ruleAllows(admin!, 'bob@example.com'));
    assert.ok(ruleAllows(domain!, 'bob@example.com'));
    assert.ok(!ruleAllows(domain!, 'bob@sub.example.com'));
    assert.ok(!ruleAllows(domain!, 'bob@evil-example.com'));
    assert.ok(!ruleAllows(domain!, 'example.com@evil.org'));
    assert.ok(ruleAllows(any!, 'anyone@anywhere.org'));
  });
});

describe('path normalization: the fast path for plain paths', () => {
  /** The definition, without the shortcut: the WHATWG parse, empty segments collapsed, escapes but %2F / %5C decoded. */
  function byTheParser(value: string): string | null {
    const pathname = new URL(`http://path.invalid${value}`).pathname.replace(/\/{2,}/g, '/');
    try {
      return pathname.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => decodeURIComponent(run).replace(/[/\\]/g, (c) => (c === '/' ? '%2F' : '%5C')));
    } catch {
      return null;
    }
  }

  it('reads every path as the URL parser does, dot segments, escapes and odd characters included', () => {
    // Pieces an attacker would combine to make a path look plain: dots, empty segments, escapes, separators, ';'.
    const pieces = ['/', 'a', 'admin', '.', '..', '...', '.a', '%2e', '%2E', '%2f', '%5c', '%61', '\\', ';', ';x', '~', '@', ':', '!', "'", '(', '*', '+', ',', '=', '$', '&', '-', '_', '%', ' ', '\t', '?', '#', '`', '{', '"', '<', '|', '^', 'é'];
    let seed = 16;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(next() * 8);
      let path = '/';
      for (let j = 0; j < length; j++) path += pieces[Math.floor(next() * pieces.length)];
      if (path.includes('?') || path.includes('#')) continue;
      assert.equal(normalizePath(path), byTheParser(path), JSON.stringify(path));
    }
    for (const path of ['/', '/a/', '/a/b', '/./a', '/a/.', '/a/..', '/..', '/.../x', '//a', '/a//', '/a/./b/'])
      assert.equal(normalizePath(path), byTheParser(path), path);
  });
});

describe('path readings: every path an app may serve for the one asked about', () => {
  it('adds the reading without ;params and the one with %2F / %5C as separators', () => {
    assert.deepEqual(pathReadings('/admin/users'), ['/admin/users']);
    assert.deepEqual(pathReadings('/admin;x/users'), ['/admin;x/users', '/admin/users']);
    assert.deepEqual(pathReadings('/admin%2Fusers'), ['/admin%2Fusers', '/admin/users']);
    assert.deepEqual(pathReadings('/admin%5cusers'), ['/admin%5Cusers', '/admin/users']);
    assert.deepEqual(pathReadings('/x%2F..%2Fadmin'), ['/x%2F..%2Fadmin', '/admin']);
    assert.deepEqual(pathReadings('/a;p%2F..%2Fadmin'), ['/a;p%2F..%2Fadmin', '/a', '/admin']);
    assert.equal(pathReadings('/%C3'), null, 'a malformed escape cannot be judged');
  });

  it('a request is allowed only when every reading is', async () => {
    const check = createAccessPolicy({
      rules: rules([{ host: 'app.example.com', path: '/admin', allow: ['ada@example.com'] }, { host: 'app.example.com', allow: ['*'] }]),
      store: { appendAudit: async () => undefined },
      denials: { record: async () => undefined },
      now: () => 0,
    });
    const bob = { id: 's', userId: 'u', email: 'bob@example.com', amr: ['email'] as AuthMethod[] };
    const context = { requestId: null, ip: null, userAgent: null };
    for (const raw of ['/admin;x/users', '/admin%2Fusers']) {
      const paths = pathReadings(raw)!;
      assert.equal((await check({ target: { host: 'app.example.com', path: paths[0]!, paths }, session: bob }, context)).reason, 'not_listed', raw);
      // The single raw reading alone would have let bob in: that was the review's finding.
      assert.equal((await check({ target: { host: 'app.example.com', path: paths[0]! }, session: bob }, context)).allow, true, raw);
    }
  });
});

describe('access decisions', () => {
  const set = rules([
    { host: 'grafana.example.com', path: '/admin', allow: ['ada@example.com'], secondFactor: true },
    { host: 'grafana.example.com', allow: ['@example.com'] },
  ]);
  const context = { requestId: 'req-1', ip: '198.51.100.7', userAgent: null };
  const session = (email: string, amr: AuthMethod[] = ['email']) => ({ id: `s-${email}`, userId: `u-${email}`, email, amr });

  function policy(now = () => 1_000_000) {
    const stored: AuditEvent[] = [];
    const denials: { reason: string; detail: string | undefined }[] = [];
    const check = createAccessPolicy({
      rules: set,
      store: { appendAudit: async (events) => void stored.push(...events) },
      denials: { record: async (reason, _context, _email, _type, detail) => void denials.push({ reason, detail }) },
      now,
    });
    return { check, stored, denials };
  }
  const at = (host: string, path: string, s: AccessRequest['session']): AccessRequest => ({ target: { host, path }, session: s });

  it('default deny, the rule decides, second factor per rule', async () => {
    const { check, denials } = policy();
    assert.equal((await check(at('other.example.com', '/', session('ada@example.com')), context)).reason, 'no_rule');
    assert.equal((await check(at('grafana.example.com', '/', null), context)).reason, 'unauthenticated');
    assert.equal((await check(at('grafana.example.com', '/', session('eve@example.org')), context)).reason, 'not_listed');
    assert.equal((await check(at('grafana.example.com', '/admin', session('bob@example.com', ['email', 'otp'])), context)).reason, 'not_listed');
    assert.equal((await check(at('grafana.example.com', '/admin', session('ada@example.com')), context)).reason, 'second_factor_required');
    assert.equal((await check(at('grafana.example.com', '/admin', session('ada@example.com', ['pwd'])), context)).reason, 'second_factor_required');
    // A session from before migration 11 (amr []) passed no second factor; a passkey without user verification alone neither.
    assert.equal((await check(at('grafana.example.com', '/admin', session('ada@example.com', [])), context)).reason, 'second_factor_required');
    assert.equal((await check(at('grafana.example.com', '/admin', session('ada@example.com', ['hwk'])), context)).reason, 'second_factor_required');
    for (const amr of [['pwd', 'otp'], ['email', 'otp'], ['hwk', 'user'], ['swk', 'user'], ['email', 'hwk']] as AuthMethod[][]) {
      const ok = await check(at('grafana.example.com', '/admin', session('ada@example.com', amr)), context);
      assert.deepEqual([ok.allow, ok.reason, ok.rule], [true, 'allowed', 1], amr.join('+'));
    }
    assert.equal((await check({ target: { problem: 'untrusted_proxy' }, session: session('ada@example.com') }, context)).reason, 'untrusted_proxy');
    assert.deepEqual(denials.map((d) => d.detail), [
      'no_rule:other.example.com',
      'unauthenticated:grafana.example.com',
      'not_listed:grafana.example.com',
      'not_listed:grafana.example.com',
      'second_factor_required:grafana.example.com',
      'second_factor_required:grafana.example.com',
      'second_factor_required:grafana.example.com',
      'second_factor_required:grafana.example.com',
      'untrusted_proxy',
    ]);
  });

  it('an allowance is audited once per session and rule per hour: invented hosts under a *. rule write no more rows', async () => {
    const check = createAccessPolicy({
      rules: rules([{ host: '*.example.com', allow: ['*'] }, { host: 'other.test', allow: ['*'] }]),
      store: { appendAudit: async (events) => void stored.push(...events) },
      denials: { record: async () => undefined },
      now: () => 1_000_000,
    });
    const stored: AuditEvent[] = [];
    for (let i = 0; i < 500; i++) assert.equal((await check(at(`h${i}.example.com`, '/', session('bob@example.com')), context)).allow, true);
    await check(at('other.test', '/', session('bob@example.com')), context);
    assert.deepEqual(stored.map((event) => event.reason), ['rule_1:h0.example.com', 'rule_2:other.test']);
  });

  it('an allowance is audited once per session and host per hour, not per proxied request', async () => {
    let now = 1_000_000;
    const { check, stored } = policy(() => now);
    for (let i = 0; i < 50; i++) await check(at('grafana.example.com', `/asset/${i}`, session('bob@example.com')), context);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.type, 'forward_auth.allowed');
    assert.equal(stored[0]!.reason, 'rule_2:grafana.example.com');
    assert.equal(stored[0]!.requestId, 'req-1');
    await check(at('grafana.example.com', '/', session('carol@example.com')), context);
    assert.equal(stored.length, 2);
    now += 3_600_000;
    await check(at('grafana.example.com', '/', session('bob@example.com')), context);
    assert.equal(stored.length, 3);
  });
});

describe('redirects after sign-in to protected hosts', () => {
  const set = rules([{ host: '*.example.com', allow: ['*'] }]);
  const https = { baseUrl: new URL('https://auth.example.com'), allowedOrigins: [], defaultPath: '/auth/account', protectedHost: (h: string) => set.protects(h) };

  it('go to a host a rule protects, over https, and nowhere else', () => {
    assert.equal(checkRedirect('https://grafana.example.com/d/1?x=1', https), 'https://grafana.example.com/d/1?x=1');
    assert.equal(checkRedirect('https://GRAFANA.example.com:8443/', https), 'https://grafana.example.com:8443/');
    assert.equal(checkRedirect('http://grafana.example.com/', https), null, 'no downgrade to http');
    assert.equal(checkRedirect('https://evil-example.com/', https), null);
    assert.equal(checkRedirect('https://example.com/', https), null);
    assert.equal(checkRedirect('https://grafana.example.com@evil.org/', https), null);
    assert.equal(checkRedirect('https://user:pw@grafana.example.com/', https), null);
    assert.equal(checkRedirect('javascript://grafana.example.com/%0aalert(1)', https), null);
    const dev = { ...https, baseUrl: new URL('http://auth.example.com:3000') };
    assert.equal(checkRedirect('http://app.example.com:8080/x', dev), 'http://app.example.com:8080/x');
  });

  it('the cookie domain must be the base URL host or a parent of it, with two labels at least', () => {
    assert.equal(resolveConfig({ baseUrl: 'http://auth.example.test:3000', cookieDomain: '.Example.test' }).cookieDomain, 'example.test');
    assert.throws(() => resolveConfig({ baseUrl: 'http://auth.example.test:3000', cookieDomain: 'other.test' }), /LATCHKEY_COOKIE_DOMAIN: must be the base URL's host \(auth\.example\.test\) or a parent/);
    assert.throws(() => resolveConfig({ baseUrl: 'http://auth.example.test:3000', cookieDomain: 'xample.test' }), /LATCHKEY_COOKIE_DOMAIN/);
    assert.throws(() => resolveConfig({ baseUrl: 'http://localhost:3000', cookieDomain: 'localhost' }), /at least two labels/);
  });
});

describe('the start warns about "*" with open signup', () => {
  it('names the rules that let any signed-in account in, only while signup is open', async () => {
    const { createLatchkey } = await import('../../src/latchkey.ts');
    const { sqliteBackend } = await import('../support/stores.ts');
    const { Writable } = await import('node:stream');
    const { pino } = await import('pino');
    for (const signup of ['open', 'closed'] as const) {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
      const store = (await sqliteBackend.open())!;
      const latchkey = await createLatchkey({
        store,
        logger,
        signup,
        startWorker: false,
        accessRules: { rules: [{ host: 'wiki.example.com', allow: ['@example.com'] }, { host: 'status.example.com', path: '/board', allow: ['*'] }] },
      });
      await latchkey.close();
      await store.close();
      const warning = lines.find((line) => line.includes('LATCHKEY_ACCESS_RULES'));
      if (signup === 'closed') assert.equal(warning, undefined);
      else assert.match(warning ?? '', /"rules":\["2 \(status\.example\.com\/board\)"\].*anyone with an email address can sign up/);
    }
  });
});
