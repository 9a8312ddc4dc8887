// Public, hand-written types of Latchkey's domain. Times are epoch milliseconds
// (numbers) inside the core and the store; the HTTP layer renders ISO strings.

/**
 * What a one-time token is for (core/tokens.ts). A token of one purpose is
 * refused for every other. `email_change_cancel` is the "this wasn't me" link
 * mailed to the old address of an email change: a different capability (it
 * undoes the change and signs out everywhere) sent to a different mailbox, so
 * it is a purpose of its own rather than a flag an email_change token carries.
 */
export const TOKEN_PURPOSES = ['sign_in', 'password_reset', 'email_verify', 'email_change', 'email_change_cancel'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export interface User {
  id: string;
  /** Canonical address (see core/email.ts). */
  email: string;
  emailVerified: boolean;
  createdAt: number;
  /** Disabled by an operator: no sign-in, no mail, no session (issue #6). */
  disabled: boolean;
}

export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute expiry; idle expiry is lastSeenAt + idle TTL. */
  expiresAt: number;
  /** When this session last proved who it is: its sign-in, or re-entering the password. Recent-sign-in checks read it. */
  authenticatedAt: number;
  userAgent: string | null;
  ip: string | null;
  /** How the sign-in that made this session was done (RFC 8176 values); [] for sessions older than migration 11. */
  amr: AuthMethod[];
}

/**
 * Authentication methods (RFC 8176): "email" a link or code mailed to the
 * address (not in the RFC's registry; the name for it), "pwd" a password,
 * "otp" a TOTP or recovery code, "hwk"/"swk" a device-bound/synced passkey with
 * "user" for its user verification.
 */
export type AuthMethod = 'email' | 'pwd' | 'otp' | 'hwk' | 'swk' | 'user';

/** Each first factor's method (a passkey's session records its own: ["hwk"|"swk", "user"], core/passkey-sign-in.ts). */
export const FIRST_FACTOR_AMR: Record<FirstFactorKind, AuthMethod> = { link: 'email', code: 'email', password: 'pwd', passkey: 'hwk' };

/** Did this session pass more than one factor (TOTP after the first, or a passkey with user verification)? */
export function isMultiFactor(amr: readonly AuthMethod[]): boolean {
  return amr.includes('otp') || amr.includes('user');
}

/** What the store keeps of a one-time token: never the token or the code. */
export interface TokenRecord {
  id: string;
  purpose: TokenPurpose;
  /** SHA-256 of the link token, base64url. */
  tokenHash: string;
  /** HMAC-SHA256(secret, purpose:tokenId:code), base64url. */
  codeHash: string;
  email: string;
  userId: string | null;
  /**
   * Email change only: the other address of the change (the old one on an
   * email_change token, mailed to the new address; the new one on an
   * email_change_cancel token, mailed to the old address). Null otherwise.
   */
  otherEmail: string | null;
  /** SHA-256 of the flow cookie of the browser that asked; null from the API without a browser. */
  flowHash: string | null;
  redirectTo: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** Set when a newer request for the same address and purpose replaced this one. */
  retiredAt: number | null;
  codeAttempts: number;
  requestIp: string | null;
  requestUserAgent: string | null;
}

/**
 * How a person proved who they are before any second factor: an emailed link or
 * code, a password, or a passkey (issue #17: multi-factor on its own, it never
 * asks for TOTP).
 */
export type FirstFactorKind = 'link' | 'code' | 'password' | 'passkey';
