// A user's TypeScript app, type-checked against the declarations of the
// installed package (test/package/install.test.ts runs tsc --noEmit over it).
import {
  createLatchkey,
  type CreateLatchkeyOptions,
  type ErrorCode,
  type Latchkey,
  type Session,
  type User,
  type VerifyOutcome,
} from 'latchkey';

const options: CreateLatchkeyOptions = { baseUrl: 'http://localhost:3000', databaseUrl: 'sqlite:./data/typed.db', logLevel: 'silent' };

export async function signIn(token: string): Promise<{ user: User; session: Session } | ErrorCode | 'second factor'> {
  const latchkey: Latchkey = await createLatchkey(options);
  try {
    const outcome: VerifyOutcome = await latchkey.verify(token, { ip: '127.0.0.1' });
    if (!outcome.ok) return outcome.code;
    if (outcome.status === 'second_factor_required') return 'second factor';
    const found = await latchkey.getSession(new Headers({ cookie: `latchkey_session=${outcome.sessionToken}` }));
    return found ? { user: found.user, session: found.session } : 'token_invalid';
  } finally {
    await latchkey.close();
  }
}

// The declarations are real types, not `any`: each of these lines must be an error.
// @ts-expect-error the token is a string
export const wrongArgument = (latchkey: Latchkey) => latchkey.verify(42);
// @ts-expect-error an error code is one of the registry's, not any string
export const unknownCode: ErrorCode = 'no_such_code';
// @ts-expect-error a failed outcome has no user
export const userOfFailure = (outcome: VerifyOutcome) => (outcome.ok ? null : outcome.user);
