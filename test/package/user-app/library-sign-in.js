// A full sign-in through the library API of the installed package, mail sent
// over SMTP (test/package/install.test.ts runs the SMTP server). One JSON line
// on stdout per step; the sign-in link's token comes back on stdin, as the
// person who read the mail would bring it.
import { createInterface } from 'node:readline';
import { createLatchkey } from 'latchkey';

const say = (line) => console.log(JSON.stringify(line));
const email = process.env.EMAIL;
const latchkey = await createLatchkey({
  baseUrl: 'http://localhost:3000',
  databaseUrl: 'sqlite:./data/library.db',
  smtpUrl: process.env.SMTP_URL,
  secret: process.env.SECRET,
  logLevel: 'silent',
});
try {
  const context = { ip: '127.0.0.1', userAgent: 'library test' };
  say({ step: 'requested', result: await latchkey.requestSignIn({ email }, context) });
  const lines = createInterface({ input: process.stdin });
  const token = (await lines[Symbol.asyncIterator]().next()).value;
  lines.close();
  const outcome = await latchkey.verify(token, context);
  say({ step: 'verified', ok: outcome.ok, status: outcome.status, email: outcome.user?.email, hasSessionToken: typeof outcome.sessionToken === 'string' });
  const found = outcome.ok ? await latchkey.getSession(new Headers({ cookie: `latchkey_session=${outcome.sessionToken}` })) : null;
  say({ step: 'session', email: found?.user.email ?? null, sessionId: found?.session.id ?? null, matches: found?.session.id === outcome.session?.id });
  say({ step: 'replayed', outcome: await latchkey.verify(token, context) });
} finally {
  await latchkey.close();
}
