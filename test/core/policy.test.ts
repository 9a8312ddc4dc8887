// The policy's decisions, with the in-memory limiter backend and an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config.ts';
import type { AuditEvent, RequestContext } from '../../src/core/audit.ts';
import { clientIp, networkSubject, parseCidr, trustedProxies } from '../../src/core/client-ip.ts';
import { memoryLimiters } from '../../src/core/memory-limiter.ts';
import { createPolicy, POLICY_VERSION } from '../../src/core/policy.ts';
import { parseStrictJson } from '../../src/http/strict-json.ts';

const SECRET = 'x'.repeat(40);
const context: RequestContext = { requestId: 'r1', ip: '203.0.113.5', userAgent: null };

function makePolicy(limits: Partial<ReturnType<typeof resolveConfig>['limits']> = {}) {
  const config = resolveConfig({ secret: SECRET, limits });
  const audit: AuditEvent[] = [];
  const policy = createPolicy({
    limits: config.limits,
    resendIntervalSeconds: config.resendIntervalSeconds,
    backend: memoryLimiters(),
    store: { appendAudit: async (events) => void audit.push(...events) },
    redirects: { baseUrl: new URL('https://auth.example.com'), allowedOrigins: ['https://app.example.com'], defaultPath: '/auth/account' },
    origin: 'https://auth.example.com',
    linkDevice: 'any',
    keySecret: Buffer.alloc(32, 7),
    now: () => 1_000_000,
  });
  return { policy, audit };
}

describe('policy', () => {
  it('ships the issue #4 defaults', () => {
    assert.deepEqual(resolveConfig({ secret: SECRET }).limits, {
      mailsPerAddressPer15Minutes: 3,
      mailsPerAddressPerDay: 10,
      mailsPerIpPerHour: 20,
      mailsPerHour: 1000,
      mailsNetworkSharePercent: 10,
      noticesPerAddressPerHour: 3,
      accountChangesPerHour: 10,
      passwordHashConcurrency: 4,
      verifyAttemptsPerIpPer5Minutes: 30,
      accountFailuresBeforeDelay: 20,
      accountDelaySeconds: 60,
      accountMaxDelaySeconds: 3600,
      deniedAuditEventsPerKeyPerMinute: 10,
      errorEventsPerIpPerHour: 60,
      passkeyCeremoniesPerIpPer5Minutes: 30,
      passkeysPerAccount: 20,
    });
    assert.equal(resolveConfig({ secret: SECRET }).resendIntervalSeconds, 60);
  });

  it('reads every limit from its environment variable and refuses nonsense', () => {
    const config = resolveConfig({}, { LATCHKEY_SECRET: SECRET, LATCHKEY_LIMIT_MAILS_PER_IP_HOUR: '7', LATCHKEY_TRUSTED_PROXIES: '10.0.0.0/8, ::1' });
    assert.equal(config.limits.mailsPerIpPerHour, 7);
    assert.deepEqual(config.trustedProxies, ['10.0.0.0/8', '::1']);
    assert.throws(() => resolveConfig({}, { LATCHKEY_SECRET: SECRET, LATCHKEY_TRUSTED_PROXIES: '10.0.0.0/33' }), ConfigError);
    assert.throws(() => resolveConfig({}, { LATCHKEY_SECRET: SECRET, LATCHKEY_LIMIT_ACCOUNT_FAILURES: '101' }), /LATCHKEY_LIMIT_ACCOUNT_FAILURES/);
    assert.throws(() => resolveConfig({}, { LATCHKEY_SECRET: SECRET, LATCHKEY_REDIS_URL: 'http://x' }), /LATCHKEY_REDIS_URL/);
    assert.equal(resolveConfig({}, { LATCHKEY_SECRET: SECRET, LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT: '5' }).limits.passkeysPerAccount, 5);
    assert.throws(() => resolveConfig({}, { LATCHKEY_SECRET: SECRET, LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT: '0' }), /LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT/);
  });

  it('an account may add passkeys up to its cap; the refusal is audited with the account', async () => {
    const { policy, audit } = makePolicy({ passkeysPerAccount: 3 });
    assert.equal((await policy.checkPasskeyCount({ passkeys: 2, email: 'ada@example.com' }, context)).allow, true);
    assert.deepEqual(await policy.checkPasskeyCount({ passkeys: 3, email: 'ada@example.com' }, context), {
      allow: false,
      reason: 'passkey_count_limit',
      policyVersion: POLICY_VERSION,
      silent: false,
    });
    assert.deepEqual(audit.map((e) => [e.type, e.reason, e.email !== null]), [['policy.denied', 'passkey_count_limit', true]]);
  });

  it('every decision carries a stable reason and the policy version; every deny is audited', async () => {
    const { policy, audit } = makePolicy({ mailsPerIpPerHour: 1 });
    assert.deepEqual(await policy.checkMailRequest(context), { allow: true, reason: 'allowed', policyVersion: POLICY_VERSION, silent: false });
    assert.deepEqual(await policy.checkMailRequest(context), { allow: false, reason: 'ip_mail_limit', policyVersion: POLICY_VERSION, silent: false });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.type, 'policy.denied');
    assert.equal(audit[0]!.reason, 'ip_mail_limit');
    assert.equal(audit[0]!.ip, '203.0.113.5');
  });

  it('per-address denies are silent; the interval is judged by the injected clock', async () => {
    const { policy } = makePolicy();
    const email = 'a@example.com';
    const early = await policy.checkMail({ email, lastMailAt: 1_000_000 - 59_000, now: 1_000_000 }, context);
    assert.deepEqual([early.allow, early.reason, early.silent], [false, 'address_interval', true]);
    for (let i = 0; i < 3; i++) assert.ok((await policy.checkMail({ email, lastMailAt: null, now: 1_000_000 }, context)).allow);
    const capped = await policy.checkMail({ email, lastMailAt: null, now: 1_000_000 }, context);
    assert.deepEqual([capped.allow, capped.reason, capped.silent], [false, 'address_limit', true]);
  });

  it('delays are per path (issue #12 finding 2): password guesses delay passwords, code guesses codes; a success resets its own; links and second-factor steps are never delayed', async () => {
    const { policy } = makePolicy({ accountFailuresBeforeDelay: 3 });
    const account = 'owner@example.com';
    await policy.recordFailure(account, 'password', context);
    await policy.recordFailure(account, 'password', context);
    await policy.recordFailure(account, 'code', context);
    assert.ok((await policy.checkPasswordAttempt(account, context)).allow, 'a code failure does not count toward the password delay');
    // A TOTP guess after a known password counts toward the password delay.
    await policy.recordFailure(account, 'totp', context, 'password');
    assert.equal((await policy.checkPasswordAttempt(account, context)).reason, 'account_delay');
    assert.ok((await policy.checkVerify({ verifier: 'code', account }, context)).allow, 'the code path is not delayed by password guesses');
    assert.ok((await policy.checkVerify({ verifier: 'totp', account }, context)).allow, 'nor a signed-in TOTP check');
    assert.ok((await policy.checkVerify({ verifier: 'totp', account, after: 'password' }, context)).allow, 'nor the second-factor step');
    assert.ok((await policy.checkVerify({ verifier: 'link', account }, context)).allow);
    await policy.recordSuccess(account, 'code');
    assert.equal((await policy.checkPasswordAttempt(account, context)).reason, 'account_delay', 'an email success leaves the password delay');
    await policy.recordSuccess(account, 'totp', 'password');
    assert.ok((await policy.checkPasswordAttempt(account, context)).allow);
  });

  it('no "this wasn\'t me" link for the old mailbox only when the account\'s own second factor guards email sign-in (issue #12 finding 4)', async () => {
    const { policy, audit } = makePolicy();
    const changeRequestedAt = 10 * 3_600_000;
    const check = (totpEnabledAt: number | null, emailSignInRequiresTotp: boolean, oldestPasskeyAt: number | null = null, emailSignInRequiresPasskey = false) =>
      policy
        .checkMailboxUndo({ totpEnabledAt, emailSignInRequiresTotp, oldestPasskeyAt, emailSignInRequiresPasskey, changeRequestedAt, email: 'owner@example.com' }, context)
        .then((d) => d.reason);
    assert.equal(await check(changeRequestedAt - 3_600_000, true), 'second_factor_protected');
    assert.equal(await check(null, false), 'allowed');
    assert.equal(await check(changeRequestedAt - 3_600_000, false), 'allowed', 'email alone signs in: mailbox against mailbox, the first owner wins');
    assert.equal(await check(changeRequestedAt - 60_000, true), 'allowed', 'a second factor added around the change may be the intruder\'s');
    // Issue #17 review: the account's own passkey, when email sign-in asks for one, guards it the same way.
    assert.equal(await check(null, false, changeRequestedAt - 3_600_000, true), 'second_factor_protected');
    assert.equal(await check(null, false, changeRequestedAt - 3_600_000, false), 'allowed');
    assert.equal(await check(null, false, changeRequestedAt - 60_000, true), 'allowed', 'a passkey added around the change may be the intruder\'s');
    assert.ok(audit.some((e) => e.type === 'policy.denied' && e.reason === 'second_factor_protected'));
  });

  it('cross-site: Fetch Metadata first, then Origin; safe methods always pass', async () => {
    const { policy } = makePolicy();
    const check = (method: string, origin: string | null, fetchSite: string | null) => policy.checkCrossSite({ method, origin, fetchSite }, context).then((d) => d.allow);
    assert.equal(await check('GET', 'https://evil.example', 'cross-site'), true);
    assert.equal(await check('POST', null, null), true);
    assert.equal(await check('POST', 'https://auth.example.com', null), true);
    assert.equal(await check('POST', 'null', 'same-origin'), true);
    assert.equal(await check('POST', 'https://evil.example', null), false);
    assert.equal(await check('POST', 'null', null), false);
    assert.equal(await check('DELETE', 'https://auth.example.com', 'same-site'), false);
    assert.equal(await check('POST', 'https://auth.example.com', 'cross-site'), false);
  });

  it('form tokens and approval numbers: only an exact match passes; each deny is audited with its reason', async () => {
    const { policy, audit } = makePolicy();
    const token = 'T'.repeat(43);
    assert.equal((await policy.checkFormToken({ expected: token, presented: token }, context)).allow, true);
    for (const input of [{ expected: token, presented: null }, { expected: null, presented: token }, { expected: token, presented: `${token.slice(1)}U` }]) {
      assert.deepEqual(await policy.checkFormToken(input, context), { allow: false, reason: 'csrf_token', policyVersion: POLICY_VERSION, silent: false });
    }
    assert.equal((await policy.checkApprovalNumber({ expected: 42, chosen: 42, email: 'a@example.com' }, context)).allow, true);
    for (const chosen of [41, null]) {
      assert.equal((await policy.checkApprovalNumber({ expected: 42, chosen, email: 'a@example.com' }, context)).reason, 'approval_mismatch');
    }
    assert.equal(policy.bindsLinksToDevice, false, 'with LATCHKEY_LINK_DEVICE=any the device alone never refuses');
    // Another browser may not take a link that awaits a pick, whatever LATCHKEY_LINK_DEVICE says.
    assert.equal((await policy.checkLinkDevice({ sameBrowser: false, email: 'a@example.com', awaitsApproval: true }, context)).reason, 'link_other_device');
    assert.equal((await policy.checkLinkDevice({ sameBrowser: true, email: 'a@example.com', awaitsApproval: true }, context)).allow, true);
    // Nor the code typed there (issue #12 finding 11); without an approval a code works anywhere.
    const code = { email: 'a@example.com', factor: 'code' as const };
    assert.equal((await policy.checkLinkDevice({ ...code, sameBrowser: false, awaitsApproval: true }, context)).reason, 'code_other_device');
    assert.equal((await policy.checkLinkDevice({ ...code, sameBrowser: true, awaitsApproval: true }, context)).allow, true);
    assert.equal((await policy.checkLinkDevice({ ...code, sameBrowser: false, awaitsApproval: false }, context)).allow, true);
    assert.deepEqual(audit.map((e) => e.reason), ['csrf_token', 'csrf_token', 'csrf_token', 'approval_mismatch', 'approval_mismatch', 'link_other_device', 'code_other_device']);
  });

  it('admin actions: refused unless authorised, audited', async () => {
    const { policy, audit } = makePolicy();
    assert.equal((await policy.checkAdmin({ authorized: false }, context)).reason, 'admin_refused');
    assert.ok((await policy.checkAdmin({ authorized: true }, context)).allow);
    assert.equal(audit.at(-1)!.reason, 'admin_refused');
  });
});

describe('client IP', () => {
  it('a network is an IPv4 /24 or an IPv6 /48 (issue #12 finding 6)', () => {
    assert.equal(networkSubject('198.51.100.7'), '198.51.100.0/24');
    assert.equal(networkSubject('2001:db8:1:ff::1'), '2001:db8:1::/48');
    assert.equal(networkSubject('2001:0db8:0001:0000::1'), '2001:db8:1::/48');
    assert.equal(networkSubject(null), null);
  });

  it('parses addresses and CIDRs', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'x', '10.0.0.0/8/1', '10.0.0.0/', '1.2.3']) assert.equal(parseCidr(bad), null, bad);
  });

  it('believes X-Forwarded-For only from a trusted peer, right to left', () => {
    const proxies = trustedProxies(['10.0.0.0/8']);
    assert.equal(clientIp('203.0.113.1', '198.51.100.1', proxies), '203.0.113.1');
    assert.equal(clientIp('10.0.0.1', '1.1.1.1, 198.51.100.1', proxies), '198.51.100.1');
    assert.equal(clientIp('10.0.0.1', '198.51.100.1, 10.0.0.9', proxies), '198.51.100.1');
    assert.equal(clientIp('10.0.0.1', '10.0.0.8, 10.0.0.9', proxies), '10.0.0.8');
    assert.equal(clientIp('10.0.0.1', 'junk', proxies), '10.0.0.1');
    assert.equal(clientIp(null, '198.51.100.1', proxies), null);
  });

  it('answers each address by the list, whatever was asked just before (the last answer is kept)', () => {
    const proxies = trustedProxies(['10.0.0.0/8']);
    for (const [ip, trusted] of [['10.0.0.1', true], ['10.0.0.1', true], ['203.0.113.1', false], ['10.0.0.1', true], ['', false], ['::ffff:10.0.0.1', true], ['203.0.113.1', false]] as const) {
      assert.equal(proxies.has(ip), trusted, ip);
    }
  });
});

describe('strict JSON', () => {
  it('refuses duplicate keys at any depth, prototype keys and deep nesting; accepts ordinary JSON', () => {
    assert.deepEqual(parseStrictJson('{"email":"a@example.com","code":"123456"}'), { email: 'a@example.com', code: '123456' });
    assert.deepEqual(parseStrictJson('{"a":"x\\"y:","b":[{"a":1},{"a":2}]}'), { a: 'x"y:', b: [{ a: 1 }, { a: 2 }] });
    for (const bad of ['{"a":1,"a":2}', '{"x":{"a":1,"\\u0061":2}}', '{"__proto__":{}}', '{"constructor":1}', '{"a":[{"prototype":1}]}', '[[[[[[[[[1]]]]]]]]]', '{', '']) {
      assert.equal(parseStrictJson(bad), undefined, bad);
    }
  });
});

describe('policy: notices and Argon2id (issue #12 finding 5)', () => {
  it('notices are capped per mailbox and kind: +tags share a cap, one kind cannot silence another; silent and audited', async () => {
    const { policy, audit } = makePolicy({ noticesPerAddressPerHour: 2 });
    const notice = (email: string, kind: string) => policy.checkNotice({ email, kind }, context);
    assert.ok((await notice('owner@example.com', 'password_changed')).allow);
    assert.ok((await notice('owner+x@example.com', 'password_changed')).allow);
    assert.deepEqual(await notice('owner+y@example.com', 'password_changed'), { allow: false, reason: 'notice_limit', policyVersion: POLICY_VERSION, silent: true });
    assert.ok((await notice('owner@example.com', 'totp_disabled')).allow);
    assert.ok((await notice('other@example.com', 'password_changed')).allow);
    assert.deepEqual(audit.map((e) => e.reason), ['notice_limit']);
  });

  it('Argon2id runs: at most passwordHashConcurrency at once, 8 per slot wait their turn, the rest are refused and audited', async () => {
    const { policy, audit } = makePolicy({ passwordHashConcurrency: 1 });
    const first = await policy.acquirePasswordHash(context);
    assert.ok(first.decision.allow);
    const order: number[] = [];
    const waiting = Array.from({ length: 8 }, (_, i) =>
      policy.acquirePasswordHash(context).then((slot) => {
        order.push(i);
        return slot;
      }),
    );
    const refused = await policy.acquirePasswordHash(context);
    assert.equal(refused.decision.reason, 'password_hash_busy');
    assert.deepEqual(order, [], 'nobody runs while the one slot is held');
    first.release();
    first.release(); // a second release of the same slot frees nothing more
    const next = await waiting[0]!;
    assert.deepEqual(order, [0]);
    next.release();
    for (const slot of waiting.slice(1)) (await slot).release();
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok((await policy.acquirePasswordHash(context)).decision.allow);
    assert.deepEqual(audit.map((e) => e.reason), ['password_hash_busy']);
  });

  it('password changes and re-authentication: 10 per account per hour', async () => {
    const { policy } = makePolicy({ accountChangesPerHour: 2 });
    const change = (verifiesPassword: boolean) => policy.checkAccountChange({ account: 'owner@example.com', verifiesPassword }, context);
    assert.ok((await change(false)).allow);
    assert.ok((await change(true)).allow);
    assert.equal((await change(false)).reason, 'account_change_limit');
    assert.ok((await policy.checkAccountChange({ account: 'other@example.com', verifiesPassword: false }, context)).allow);
  });
});
