// Seeds what the verify, code and session scenarios consume, through the same
// token engine and store the server uses (so the rows are real), with the
// secrets captured at issue time instead of read back from mail.
import { randomUUID } from 'node:crypto';
import { deriveKey } from '../src/core/crypto.ts';
import { nodeRandom } from '../src/core/random.ts';
import { newSession } from '../src/core/sessions.ts';
import { createTokenEngine } from '../src/core/tokens.ts';
import type { Store } from '../src/store/store.ts';

export interface Seeded {
  token: string;
  code: string;
  email: string;
}

export class Seeder {
  readonly store: Store;
  readonly engine: ReturnType<typeof createTokenEngine>;
  private run = 0;

  constructor(store: Store, secret: string) {
    this.store = store;
    // Every purpose lives 10 minutes here: the bench only issues sign-in tokens.
    const ttl = 600;
    this.engine = createTokenEngine({ store, random: nodeRandom }, deriveKey(secret, 'code-hmac'), 5, {
      sign_in: ttl,
      password_reset: ttl,
      email_verify: ttl,
      email_change: ttl,
      email_change_cancel: ttl,
    });
  }

  /** `count` fresh sign-in tokens; `returning` makes their users exist first. */
  async tokens(count: number, returning: boolean, parallel = 256): Promise<Seeded[]> {
    const run = ++this.run;
    const out: Seeded[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const email = `bench-${process.pid}-${run}-${i}@example.com`;
        const now = Date.now();
        let userId: string | null = null;
        if (returning) {
          const { record } = newSession({ random: nodeRandom, sessions: { ttlSeconds: 3600, idleTtlSeconds: 3600 } }, now, { userAgent: 'seed', ip: null }, ['email']);
          const result = await this.store.signIn({ email, userId: null, allowSignup: true, newUserId: randomUUID(), now, session: record, events: [] });
          userId = result?.user.id ?? null;
        }
        const captured = { token: '', code: '' };
        await this.engine.issue(
          {
            purpose: 'sign_in',
            email,
            userId,
            flowHash: null,
            redirectTo: null,
            requestIp: '127.0.0.1',
            requestUserAgent: 'bench',
            mail: ({ token, code }) => {
              captured.token = token;
              captured.code = code;
              return null;
            },
            events: [],
          },
          now,
        );
        out.push({ ...captured, email });
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return out;
  }

  /** A valid session cookie value for the hot-path scenario. */
  async sessionCookie(): Promise<string> {
    const now = Date.now();
    const { token, record } = newSession({ random: nodeRandom, sessions: { ttlSeconds: 86_400, idleTtlSeconds: 86_400 } }, now, { userAgent: 'bench', ip: null }, ['email']);
    await this.store.signIn({
      email: `bench-session-${process.pid}@example.com`,
      userId: null,
      allowSignup: true,
      newUserId: randomUUID(),
      now,
      session: record,
      events: [],
    });
    return token;
  }
}
