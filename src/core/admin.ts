// Operator actions on accounts, shared by the admin API and the CLI: one
// implementation, each action audited in the transaction that makes it.
import { randomUUID } from 'node:crypto';
import { auditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { User } from './types.ts';
import type { Store } from '../store/store.ts';

export type AdminActor = 'admin_api' | 'cli';

export type AdminResult<T> = { ok: true; value: T } | { ok: false; code: 'invalid_email' | 'not_found' };

export function createAdmin(store: Store, now: () => number) {
  const find = async (email: unknown): Promise<AdminResult<User>> => {
    const canonical = canonicalizeEmail(email);
    if (!canonical.ok) return { ok: false, code: 'invalid_email' };
    const user = await store.findUserByEmail(canonical.email);
    return user ? { ok: true, value: user } : { ok: false, code: 'not_found' };
  };

  return {
    find,

    /** Creates the account, or returns the existing one (created: false). */
    async create(email: unknown, actor: AdminActor, context: RequestContext): Promise<AdminResult<{ user: User; created: boolean }>> {
      const canonical = canonicalizeEmail(email);
      if (!canonical.ok) return { ok: false, code: 'invalid_email' };
      const at = now();
      const event = auditEvent(context, { type: 'user.created', outcome: 'success', reason: actor, at, email: canonical.email });
      const created = await store.createUser({ id: randomUUID(), email: canonical.email, now: at }, [event]);
      if (created) return { ok: true, value: { user: created, created: true } };
      const existing = await store.findUserByEmail(canonical.email);
      return existing ? { ok: true, value: { user: existing, created: false } } : { ok: false, code: 'not_found' };
    },

    /** Disabling also revokes every session and retires every unused token (one transaction). */
    async setDisabled(email: unknown, disabled: boolean, actor: AdminActor, context: RequestContext): Promise<AdminResult<{ user: User; changed: boolean }>> {
      const found = await find(email);
      if (!found.ok) return found;
      const at = now();
      const event = auditEvent(context, {
        type: disabled ? 'user.disabled' : 'user.enabled',
        outcome: 'success',
        reason: actor,
        at,
        userId: found.value.id,
        email: found.value.email,
      });
      const changed = await store.setUserDisabled(found.value.id, disabled ? at : null, at, [event]);
      return { ok: true, value: { user: { ...found.value, disabled }, changed } };
    },

    async revokeSessions(email: unknown, actor: AdminActor, context: RequestContext): Promise<AdminResult<{ revoked: number }>> {
      const found = await find(email);
      if (!found.ok) return found;
      const at = now();
      const event = auditEvent(context, { type: 'session.revoked', outcome: 'success', reason: actor, at, userId: found.value.id, email: found.value.email });
      return { ok: true, value: { revoked: await store.revokeUserSessions(found.value.id, at, [event]) } };
    },
  };
}

export type Admin = ReturnType<typeof createAdmin>;
