// Operator actions on accounts, shared by the admin API and the CLI: one
// implementation, each action audited in the transaction that makes it.
import { appsOfAccount, signOutApps, type AppsLogoutContext } from './apps-logout.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { User } from './types.ts';
import type { Context } from '../context.ts';

export type AdminActor = 'admin_api' | 'cli';

export type AdminResult<T> = { ok: true; value: T } | { ok: false; code: 'invalid_email' | 'not_found' | 'invalid_request' };

/** Accounts per page of `list` (issue #12): the default, and the most one call may ask for. */
export const USER_PAGE_DEFAULT = 50;
export const USER_PAGE_MAX = 200;

/**
 * The cursor is the last address of a page, base64url-encoded so it travels in
 * a query string as one opaque word. Only its shape is checked: a made-up
 * cursor just starts the listing elsewhere, and the caller is an operator.
 */
const encodeCursor = (email: string) => Buffer.from(email, 'utf8').toString('base64url');
function decodeCursor(cursor: unknown): string | null | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  if (typeof cursor !== 'string' || cursor.length > 400 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

function parseLimit(limit: unknown): number | undefined {
  if (limit === undefined || limit === null || limit === '') return USER_PAGE_DEFAULT;
  const value = typeof limit === 'number' ? limit : typeof limit === 'string' && /^\d{1,6}$/.test(limit) ? Number(limit) : NaN;
  return Number.isInteger(value) && value >= 1 && value <= USER_PAGE_MAX ? value : undefined;
}

export function createAdmin(ctx: Pick<Context, 'store' | 'now' | 'random'> & Pick<AppsLogoutContext, 'appsLogout'>) {
  const { store, now, random } = ctx;
  const find = async (email: unknown): Promise<AdminResult<User>> => {
    const canonical = canonicalizeEmail(email);
    if (!canonical.ok) return { ok: false, code: 'invalid_email' };
    const user = await store.findUserByEmail(canonical.email);
    return user ? { ok: true, value: user } : { ok: false, code: 'not_found' };
  };

  return {
    find,

    /** One page of accounts in address order; pass the page's nextCursor to get the next (null: the last page). */
    async list(input: { limit?: unknown; cursor?: unknown }): Promise<AdminResult<{ users: User[]; nextCursor: string | null }>> {
      const limit = parseLimit(input.limit);
      const afterEmail = decodeCursor(input.cursor);
      if (limit === undefined || afterEmail === undefined) return { ok: false, code: 'invalid_request' };
      // One more than asked for says whether another page follows.
      const rows = await store.listUsers({ limit: limit + 1, afterEmail });
      const users = rows.slice(0, limit);
      const last = users.at(-1);
      return { ok: true, value: { users, nextCursor: rows.length > limit && last ? encodeCursor(last.email) : null } };
    },

    /** Creates the account, or returns the existing one (created: false). */
    async create(email: unknown, actor: AdminActor, context: RequestContext): Promise<AdminResult<{ user: User; created: boolean }>> {
      const canonical = canonicalizeEmail(email);
      if (!canonical.ok) return { ok: false, code: 'invalid_email' };
      const at = now();
      const event = auditEvent(context, { type: 'user.created', outcome: 'success', reason: actor, at, email: canonical.email });
      const created = await store.createUser({ id: random.uuid(), email: canonical.email, now: at }, [event]);
      if (created) return { ok: true, value: { user: created, created: true } };
      const existing = await store.findUserByEmail(canonical.email);
      return existing ? { ok: true, value: { user: existing, created: false } } : { ok: false, code: 'not_found' };
    },

    /**
     * Disabling also revokes every session and retires every unused token (one transaction);
     * then the account's apps get a back-channel logout token (core/apps-logout.ts).
     */
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
      const apps = disabled ? await appsOfAccount(ctx, found.value.id) : [];
      const changed = await store.setUserDisabled(found.value.id, disabled ? at : null, at, [event]);
      if (changed) await signOutApps(ctx, found.value.id, apps, context);
      return { ok: true, value: { user: { ...found.value, disabled }, changed } };
    },

    /** Every session of the account, then a back-channel logout token to each of its apps. */
    async revokeSessions(email: unknown, actor: AdminActor, context: RequestContext): Promise<AdminResult<{ revoked: number }>> {
      const found = await find(email);
      if (!found.ok) return found;
      const at = now();
      const event = auditEvent(context, { type: 'session.revoked', outcome: 'success', reason: actor, at, userId: found.value.id, email: found.value.email });
      const apps = await appsOfAccount(ctx, found.value.id);
      const revoked = await store.revokeUserSessions(found.value.id, at, [event]);
      await signOutApps(ctx, found.value.id, apps, context);
      return { ok: true, value: { revoked } };
    },
  };
}

export type Admin = ReturnType<typeof createAdmin>;
