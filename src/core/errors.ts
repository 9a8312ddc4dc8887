// The one registry of public error codes. The HTTP layer maps codes to statuses
// (http/errors.ts); pages and JSON bodies show `message`. Private detail goes to
// logs, never into these messages.

export const ERROR_MESSAGES = {
  invalid_request: 'The request is malformed.',
  invalid_email: 'Enter a valid email address.',
  token_invalid: 'This sign-in link is not valid. Request a new one.',
  token_expired: 'This sign-in link has expired. Request a new one.',
  token_used: 'This sign-in link has already been used. Request a new one if you need to sign in again.',
  token_replaced: 'A newer sign-in link was sent; only the newest one works. Use it, or request a new one.',
  code_invalid: 'That code is not right. Check the newest email and try again.',
  code_locked: 'Too many wrong codes. Request a new sign-in email.',
  unauthenticated: 'You are not signed in.',
  forbidden: 'This request was refused.',
  not_found: 'Not found.',
  rate_limited: 'Too many requests. Wait a little and try again.',
  internal_error: 'Something went wrong on our side. Try again in a moment.',
  service_unavailable: 'The service is not ready. Try again in a moment.',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/** Misuse and unexpected states throw this; expected failures are returned as values. */
export class LatchkeyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ?? ERROR_MESSAGES[code], options);
    this.name = 'LatchkeyError';
    this.code = code;
  }
}
