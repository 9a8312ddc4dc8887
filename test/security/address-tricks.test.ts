// Attack: an address that our validator and an SMTP library or mailbox read
// differently, to get a mail (with a live link) delivered somewhere else.
// Refusals are 400 invalid_email, never a 500, never a mail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainToASCII } from 'node:url';
import { address, askForMail, errorCode, startTarget } from './harness.ts';

const TRICKS: unknown[] = [
  'victim@example.com,attacker@evil.example',
  'victim@example.com;attacker@evil.example',
  'victim@example.com attacker@evil.example',
  'Victim <attacker@evil.example>',
  '"victim@example.com"@evil.example',
  'victim@example.com(attacker@evil.example)',
  'attacker@evil.example(victim@example.com)',
  '=?utf-8?b?YXR0YWNrZXJAZXZpbC5leGFtcGxl?=@example.com',
  'victim@example.com\r\nBcc: attacker@evil.example',
  'victim@example.com\nattacker@evil.example',
  'victim\u0000@example.com',
  'victim@example.com\u0000attacker@evil.example',
  'victim%attacker@evil.example@example.com',
  'victim@[192.168.0.1]',
  'victim@evil.example:25',
  'victim@evil_example.com',
  'victim@example.com.',
  'victim＠example.com',
  'vïctim@example.com',
  `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(50)}.com`,
  ['victim@example.com', 'attacker@evil.example'],
  { toString: 'victim@example.com' },
  { $ne: null },
  true,
  1e21,
  '',
];

describe('attack: address tricks', () => {
  it('every trick is a 400 invalid_email and no mail leaves', async () => {
    const target = await startTarget({ limits: { mailsPerIpPerHour: 1000 } });
    try {
      for (const email of TRICKS) {
        const response = await askForMail(target.server.client(), email);
        assert.equal(response.status, 400, `status for ${JSON.stringify(email)}`);
        assert.equal(await errorCode(response), 'invalid_email');
      }
      await target.settle();
      assert.equal(target.sink.messages.length, 0);
    } finally {
      await target.close();
    }
  });

  it('variants of one address are one address: one canonical recipient, one mail', async () => {
    const target = await startTarget();
    try {
      const local = address('Victim').split('@')[0]!;
      for (const variant of [`${local}@BÜCHER.example`, `  ${local.toLowerCase()}@bücher.example `, `${local.toUpperCase()}@xn--bcher-kva.example`]) {
        const response = await askForMail(target.server.client(), variant);
        assert.equal(response.status, 202);
      }
      await target.settle();
      const canonical = `${local.toLowerCase()}@xn--bcher-kva.example`;
      assert.equal(target.sink.messages.length, 1, 'the variants share one per-address limit');
      // The sink's SMTP server shows IDN domains decoded; compare in punycode.
      const ascii = (email: string) => `${email.split('@')[0]}@${domainToASCII(email.split('@')[1]!)}`;
      assert.deepEqual(target.sink.messages[0]!.envelopeTo.map(ascii), [canonical]);
      assert.equal(ascii(target.sink.messages[0]!.to), canonical);
    } finally {
      await target.close();
    }
  });

  it('no provider folding: Gmail dots and plus tags are different addresses', async () => {
    const target = await startTarget();
    try {
      const stamp = Date.now();
      for (const email of [`j.doe.${stamp}@gmail.com`, `jdoe.${stamp}@gmail.com`, `jdoe.${stamp}+x@gmail.com`]) await askForMail(target.server.client(), email);
      await target.settle();
      assert.equal(target.sink.messages.length, 3);
    } finally {
      await target.close();
    }
  });
});
