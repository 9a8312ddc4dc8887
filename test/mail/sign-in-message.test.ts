import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationInWords, formatUtc, renderSignInMessage, type SignInMessageInput } from '../../src/mail/sign-in-message.ts';
import { describeUserAgent } from '../../src/mail/user-agent.ts';
import { codeFrom, linkFrom } from '../support/http-client.ts';

const TOKEN = 'A'.repeat(20) + '_-' + 'b9'.repeat(10) + 'z'; // 43 base64url characters
const LINK = `https://auth.example.com/auth/verify?token=${TOKEN}`;
const MAC_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function input(fields: Partial<SignInMessageInput> = {}): SignInMessageInput {
  return {
    productName: 'Acme',
    link: LINK,
    code: '048213',
    email: 'ada@example.com',
    expiresInSeconds: 600,
    requestedAt: Date.UTC(2026, 10, 22, 13, 45, 30),
    ip: '203.0.113.7',
    userAgent: MAC_CHROME,
    ...fields,
  };
}

describe('renderSignInMessage', () => {
  it('states the link, the code, the expiry, who asked, from where and when, in both parts', () => {
    const message = renderSignInMessage(input());
    assert.equal(message.subject, 'Sign in to Acme');
    for (const part of [message.text, message.html]) {
      assert.ok(part.includes(LINK), 'link');
      assert.ok(part.includes('048213'), 'code');
      assert.ok(part.includes('expire in 10 minutes'), 'expiry in words');
      assert.ok(part.includes('Chrome on macOS'), 'browser and OS');
      assert.ok(part.includes('203.0.113.7'), 'IP');
      assert.ok(part.includes('2026-11-22 13:45 UTC'), 'time in UTC');
      assert.ok(part.includes('ada@example.com'), 'address');
      assert.ok(part.includes("ignore this email — no one can sign in without it."), 'reassurance');
    }
    // The helpers every end-to-end test uses must find the same values in the text part.
    assert.equal(linkFrom(message.text), LINK);
    assert.equal(codeFrom(message.text), '048213');
  });

  it('renders a self-contained HTML mail: tables, inline CSS, a button, no images or scripts', () => {
    const { html } = renderSignInMessage(input());
    assert.match(html, /<table role="presentation"/);
    assert.match(html, new RegExp(`<a href="${LINK.replace(/[?]/g, '\\?')}" style="[^"]+">Sign in to Acme</a>`));
    assert.match(html, /font-family:ui-monospace[^"]*font-size:32px[^"]*">048213</);
    assert.doesNotMatch(html, /<img|<script|<link|url\(/i);
  });

  it('escapes every interpolated value in the HTML', () => {
    const { html, text } = renderSignInMessage(
      input({
        userAgent: '<script>alert(1)</script>',
        productName: '<b>Acme</b>',
        email: '"><img src=x onerror=alert(1)>@example.com',
        ip: '<i>1.2.3.4</i>',
      }),
    );
    assert.doesNotMatch(html, /<script|<img|<b>|<i>/);
    assert.ok(html.includes('&lt;b&gt;Acme&lt;/b&gt;'));
    assert.ok(html.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com'));
    assert.ok(!html.includes('1.2.3.4'), 'a value that is not an IP address is not shown (issue #12 finding 7)');
    assert.ok(text.includes('an unknown browser'), 'an unrecognised agent is not echoed');
    assert.ok(!text.includes('<script>'));
  });

  it('keeps CR/LF out of the subject whatever the product name holds', () => {
    const { subject } = renderSignInMessage(input({ productName: 'Acme\r\nBcc: victim@example.com\n\rX' }));
    assert.doesNotMatch(subject, /[\r\n]/);
    assert.equal(subject, 'Sign in to Acme Bcc: victim@example.com X');
  });

  it('leaves out the IP when unknown, and describes a missing user agent', () => {
    const { text } = renderSignInMessage(input({ ip: null, userAgent: null }));
    assert.ok(text.includes('Requested from an unknown browser, at 2026-11-22 13:45 UTC.'));
    assert.ok(!text.includes('IP'));
  });

  it('refuses a link that is not http(s)', () => {
    assert.throws(() => renderSignInMessage(input({ link: 'javascript:alert(1)' })), /http/);
  });
});

describe('durationInWords and formatUtc', () => {
  it('says minutes, or hours when exact', () => {
    assert.equal(durationInWords(600), '10 minutes');
    assert.equal(durationInWords(60), '1 minute');
    assert.equal(durationInWords(20), '1 minute');
    assert.equal(durationInWords(3600), '1 hour');
    assert.equal(durationInWords(7200), '2 hours');
    assert.equal(durationInWords(5400), '90 minutes');
  });

  it('formats to the minute in UTC', () => {
    assert.equal(formatUtc(Date.UTC(2026, 0, 2, 3, 4, 59)), '2026-01-02 03:04 UTC');
  });
});

describe('describeUserAgent', () => {
  const cases: [string | null, string][] = [
    [MAC_CHROME, 'Chrome on macOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
      'Chrome on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
    ['Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36', 'Chrome on Linux'],
    ['curl/8.5.0', 'an unknown browser'],
    // Issue #12 finding 7: bowser names a browser after any "Word/1.0"; only closed-list names are shown.
    ['URGENT: your account is locked, visit https://evil.example/unlock/1 (x', 'an unknown browser'],
    ['EvilBrowser/1.0 (Windows NT 10.0)', 'an unknown browser on Windows'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/120 Safari/537.36', 'Chrome on ChromeOS'],
    [
      'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
      'Samsung Internet on Android',
    ],
    ['', 'an unknown browser'],
    [null, 'an unknown browser'],
  ];
  for (const [ua, expected] of cases) {
    it(`${JSON.stringify(ua?.slice(0, 60) ?? null)} → ${expected}`, () => assert.equal(describeUserAgent(ua), expected));
  }
});
