// The one registry of public error codes. The HTTP layer maps codes to statuses
// (http/errors.ts); pages and JSON bodies show `message`. Private detail goes to
// logs, never into these messages.

export const ERROR_MESSAGES = {
  invalid_request: 'The request is malformed.',
  invalid_email: 'Enter a valid email address.',
  request_too_large: 'The request is too large.',
  token_invalid: 'This sign-in link is not valid. Request a new one.',
  token_expired: 'This sign-in link has expired. Request a new one.',
  token_used: 'This sign-in link has already been used. Request a new one if you need to sign in again.',
  token_replaced: 'A newer sign-in link was sent; only the newest one works. Use it, or request a new one.',
  link_other_device: 'Open this link in the browser where you asked for it, or type the code from the email there.',
  approval_pending: 'Not approved yet. Pick the number shown here on the device where you opened the link.',
  approval_refused: 'This sign-in was refused on the device where the link was opened. If it was you, start again.',
  code_invalid: 'That code is not right. Check the newest email and try again.',
  code_locked: 'Too many wrong codes. Request a new sign-in email.',
  code_expired: 'This sign-in code has expired. Request a new email.',
  code_used: 'This sign-in code has already been used. Request a new email if you need to sign in again.',
  code_replaced: 'A newer sign-in email was sent; only its code works. Use it, or request a new email.',
  code_other_device: 'Type this code in the browser where you asked for it: this sign-in awaits approval there.',
  totp_invalid: 'That code is not right. Check your authenticator app and try again.',
  totp_reused: 'That code was already used. Wait for the next code in your authenticator app.',
  recovery_code_invalid: 'That recovery code is not right, or it was already used.',
  second_factor_expired: 'This sign-in step has expired. Sign in again.',
  second_factor_locked: 'Too many wrong codes. Sign in again.',
  totp_already_enabled: 'Two-factor authentication is already on for this account.',
  totp_not_enabled: 'Two-factor authentication is not on for this account.',
  reauthentication_required: 'For this change, sign in again first.',
  credentials_invalid: 'That email address and password do not match.',
  password_too_short: 'Use at least 8 characters.',
  password_too_long: 'Use at most 128 characters.',
  password_breached: 'That password is one of the most common ones in data breaches. Choose another.',
  password_not_set: 'This account has no password.',
  email_unchanged: 'That is already your address.',
  email_taken: 'That address cannot be used for this account.',
  unauthenticated: 'You are not signed in.',
  admin_token_required: 'This admin API needs the admin token (LATCHKEY_ADMIN_TOKEN) as Authorization: Bearer.',
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
