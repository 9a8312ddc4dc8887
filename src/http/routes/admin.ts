// The admin API under /admin: only served when LATCHKEY_ADMIN_TOKEN is set
// (otherwise every /admin path is a plain 404). Its group's guard checks the
// bearer on every /admin path (http/admin-token.ts, http/route-groups.ts).
import type { Context } from 'hono';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../../core/audit.ts';
import { createAdmin } from '../../core/admin.ts';
import { resetSecondFactor } from '../../core/second-factor-reset.ts';
import { canonicalizeEmail } from '../../core/email.ts';
import type { AuditQuery } from '../../store/store.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { jsonError } from '../errors.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function adminRoutes(deps: HttpDeps): Endpoints {
  if (!deps.config.adminToken) return {};
  // Disabling, revoking and resetting end the account's sessions at its apps too (core/apps-logout.ts).
  const withApps = { ...deps, appsLogout: deps.oidc?.appsLogout ?? null };
  const admin = createAdmin(withApps);

  const user = (u: { id: string; email: string; emailVerified: boolean; createdAt: number; disabled: boolean }) => ({
    id: u.id,
    email: u.email,
    emailVerified: u.emailVerified,
    disabled: u.disabled,
    createdAt: iso(u.createdAt),
  });
  const failed = (c: Context<AppEnv>, code: 'invalid_email' | 'not_found' | 'invalid_request') => jsonError(c, code);

  const adminUsers: Handler = async (c) => {
    // Without ?email: every account, a page at a time (issue #12).
    if (c.req.query('email') === undefined) {
      const page = await admin.list({ limit: c.req.query('limit'), cursor: c.req.query('cursor') });
      if (!page.ok) return failed(c, page.code);
      return c.json({ users: page.value.users.map(user), nextCursor: page.value.nextCursor });
    }
    const found = await admin.find(c.req.query('email'));
    if (!found.ok) return failed(c, found.code);
    const sessions = await deps.store.listSessions(found.value.id, deps.now());
    return c.json({
      user: user(found.value),
      sessions: sessions.map((s) => ({ id: s.id, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), userAgent: s.userAgent, ip: s.ip })),
    });
  };

  const adminUserCreate: Handler = async (c) => {
    const body = await readBody(c);
    const result = await admin.create(body?.email, 'admin_api', requestContext(c));
    if (!result.ok) return failed(c, result.code);
    return c.json({ user: user(result.value.user), created: result.value.created }, result.value.created ? 201 : 200);
  };

  const setDisabled =
    (disabled: boolean): Handler =>
    async (c) => {
      const body = await readBody(c);
      const result = await admin.setDisabled(body?.email, disabled, 'admin_api', requestContext(c));
      if (!result.ok) return failed(c, result.code);
      return c.json({ user: user(result.value.user), changed: result.value.changed });
    };

  const adminSessionsRevoke: Handler = async (c) => {
    const body = await readBody(c);
    const result = await admin.revokeSessions(body?.email, 'admin_api', requestContext(c));
    if (!result.ok) return failed(c, result.code);
    return c.json(result.value);
  };

  // The recovery path for a person locked out by their second factors (core/second-factor-reset.ts).
  const adminUserSecondFactorReset: Handler = async (c) => {
    const body = await readBody(c);
    const result = await resetSecondFactor(withApps, body?.email, 'admin_api', requestContext(c));
    if (!result.ok) return failed(c, result.code);
    const { user: reset, ...removed } = result.value;
    return c.json({ user: user(reset), ...removed });
  };

  const adminAudit: Handler = async (c) => {
    const query: AuditQuery = { limit: Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 100) || 100)) };
    const requestId = c.req.query('requestId');
    const type = c.req.query('type');
    const email = c.req.query('email');
    const since = c.req.query('since');
    if (requestId) query.requestId = requestId;
    if (type) {
      if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(type)) return jsonError(c, 'invalid_request');
      query.type = type as AuditEventType;
    }
    if (email) {
      const canonical = canonicalizeEmail(email);
      if (!canonical.ok) return jsonError(c, 'invalid_email');
      query.email = canonical.email;
    }
    if (since) {
      const at = Date.parse(since);
      if (Number.isNaN(at)) return jsonError(c, 'invalid_request');
      query.since = at;
    }
    const events = await deps.store.listAudit(query);
    return c.json({ events: events.map((e) => ({ ...e, at: iso(e.at) })) });
  };

  const adminOutbox: Handler = async (c) => {
    const summary = await deps.store.outboxSummary(50);
    return c.json({
      ...summary,
      oldestUnsentAt: iso(summary.oldestUnsentAt),
      troubled: summary.troubled.map((m) => ({ ...m, createdAt: iso(m.createdAt), nextAttemptAt: iso(m.nextAttemptAt), sentAt: iso(m.sentAt) })),
    });
  };

  return {
    adminUsers,
    adminUserCreate,
    adminUserDisable: setDisabled(true),
    adminUserEnable: setDisabled(false),
    adminUserSecondFactorReset,
    adminSessionsRevoke,
    adminAudit,
    adminOutbox,
  };
}
