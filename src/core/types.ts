// Public, hand-written types of Latchkey's domain. Times are epoch milliseconds
// (numbers) inside the core and the store; the HTTP layer renders ISO strings.

export type TokenPurpose = 'sign_in' | 'password_reset' | 'email_verify' | 'email_change';

export interface User {
  id: string;
  /** Canonical address (see core/email.ts). */
  email: string;
  emailVerified: boolean;
  createdAt: number;
}

export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute expiry; idle expiry is lastSeenAt + idle TTL. */
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
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
