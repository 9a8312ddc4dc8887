// The audit vocabulary: a closed union named noun.past_tense. Events never carry
// a token, a code or a cookie; the email is stored canonical so an operator can
// answer "why couldn't this person sign in?".

export const AUDIT_EVENT_TYPES = [
  'sign_in.requested',
  'sign_in.succeeded',
  'sign_in.failed',
  'token.consumed',
  'token.rejected',
  'code.failed',
  'user.created',
  'session.created',
  'session.revoked',
  'mail.sent',
  'mail.failed',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export type AuditOutcome = 'success' | 'failure' | 'info';

export interface AuditEvent {
  type: AuditEventType;
  outcome: AuditOutcome;
  /** Stable reason code (an error code or a short token such as `new_user`). */
  reason: string | null;
  at: number;
  requestId: string | null;
  userId: string | null;
  email: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

/** Request facts every event carries; built once per request by the HTTP layer. */
export interface RequestContext {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export function auditEvent(
  context: RequestContext,
  fields: Pick<AuditEvent, 'type' | 'outcome' | 'at'> & Partial<Pick<AuditEvent, 'reason' | 'userId' | 'email'>>,
): AuditEvent {
  return {
    type: fields.type,
    outcome: fields.outcome,
    reason: fields.reason ?? null,
    at: fields.at,
    requestId: context.requestId,
    userId: fields.userId ?? null,
    email: fields.email ?? null,
    ip: context.ip,
    userAgent: context.userAgent,
  };
}
