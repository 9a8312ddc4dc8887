// The interaction's decision (src/oidc/interaction.ts) with fixed times: a live
// Latchkey session signs in at once, prompt=login and max_age ask for a newer
// sign-in, and a third-party client gets the consent page.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ValidSession } from '../../src/core/sessions.ts';
import { loginStep, type InteractionView } from '../../src/oidc/interaction.ts';

const T = 1_700_000_000_000;

function view(reasons: string[] = ['no_session'], details: Record<string, unknown> = {}, name = 'login'): InteractionView {
  return { uid: 'uid-1', iat: T / 1000, prompt: { name, reasons, details } };
}

function session(authenticatedAt: number): ValidSession {
  return {
    user: { id: 'user-1', email: 'ada@example.com', emailVerified: true, createdAt: T - 86_400_000, disabled: false },
    session: { id: 's1', userId: 'user-1', createdAt: authenticatedAt, lastSeenAt: authenticatedAt, expiresAt: T + 86_400_000, authenticatedAt, userAgent: null, ip: null, amr: ['email'] },
  };
}

describe('OIDC interaction step', () => {
  it('not signed in: to the sign-in page, which sends the browser back to this interaction', () => {
    assert.deepEqual(loginStep(view(), null, true, T), { kind: 'sign_in', location: '/auth/sign-in?redirectTo=%2Foidc%2Finteraction%2Fuid-1' });
  });

  it('signed in: the login is finished at once with the account, the time it signed in and how (amr)', () => {
    assert.deepEqual(loginStep(view(), session(T - 3_600_000), true, T), {
      kind: 'finish',
      result: { login: { accountId: 'user-1', ts: (T - 3_600_000) / 1000, amr: ['email'] } },
    });
    // A session older than migration 11 does not know how it was signed in: no amr rather than a wrong one.
    const unknown = session(T);
    unknown.session.amr = [];
    assert.deepEqual(loginStep(view(), unknown, true, T), { kind: 'finish', result: { login: { accountId: 'user-1', ts: T / 1000 } } });
  });

  it('prompt=login: a sign-in older than the request, or of its very second, is not enough; the page shows even with a session', () => {
    for (const at of [T - 60_000, T, T + 999]) {
      assert.deepEqual(loginStep(view(['login_prompt']), session(at), true, T + 5000), {
        kind: 'sign_in',
        location: '/auth/sign-in?redirectTo=%2Foidc%2Finteraction%2Fuid-1&prompt=login',
      });
    }
    assert.equal(loginStep(view(['login_prompt']), session(T + 1000), true, T + 5000).kind, 'finish');
  });

  it('max_age: a sign-in within that many seconds counts, an older one does not', () => {
    assert.equal(loginStep(view(['max_age'], { max_age: 300 }), session(T - 300_000), true, T).kind, 'finish');
    assert.equal(loginStep(view(['max_age'], { max_age: 300 }), session(T - 300_001), true, T).kind, 'sign_in');
  });

  it('consent: a third-party client gets the consent page; a first-party one keeps the grant the provider loaded', () => {
    const consent = { ...view(['op_scopes_missing'], {}, 'consent'), grantId: 'g1' };
    assert.deepEqual(loginStep(consent, session(T), false, T), { kind: 'consent' });
    assert.deepEqual(loginStep(consent, session(T), true, T), { kind: 'finish', result: { consent: { grantId: 'g1' } } });
  });
});
