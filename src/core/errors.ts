// The one registry of public error codes (issue #13): for each code, the HTTP
// status of its answer and the next step its page offers. The words live only in
// the i18n catalogs (`error.<code>.title`, `.message`, `.why`); a JSON body
// carries the English page message (http/errors.ts), so an API client and a
// browser read the same thing. Expected failures are returned as values carrying
// one of these codes; misuse throws and is answered `internal_error`.

/** The statuses an error answer may have. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503;

/**
 * The next step an error page offers: a new sign-in email (spoken of as a new
 * link, or as a new email after a typed code, which the person never saw as a
 * link), a fresh sign-in before a sensitive change, the same thing again a
 * little later, or the sign-in page.
 */
export type ErrorRemedy = 'new_link' | 'new_email' | 'reauthenticate' | 'try_again' | 'sign_in';

export interface ErrorSpec {
  readonly status: ErrorStatus;
  /** 'sign_in' when absent. */
  readonly remedy?: ErrorRemedy;
  /** The link or code was used, perhaps by this person, who may be signed in already: the page also links the account. */
  readonly perhapsSignedIn?: boolean;
}

const REGISTRY = {
  invalid_request: { status: 400 },
  invalid_email: { status: 400 },
  request_too_large: { status: 413 },
  // Issue #14: the host app's body parser (express.json(), …) read the body first; a set-up fault, not the person's.
  body_already_parsed: { status: 500 },
  token_invalid: { status: 400, remedy: 'new_link' },
  token_expired: { status: 400, remedy: 'new_link' },
  token_used: { status: 400, remedy: 'new_link', perhapsSignedIn: true },
  token_replaced: { status: 400, remedy: 'new_link' },
  link_other_device: { status: 400 },
  approval_pending: { status: 409 },
  approval_refused: { status: 400 },
  code_invalid: { status: 400, remedy: 'new_email' },
  code_locked: { status: 429, remedy: 'new_email' },
  code_expired: { status: 400, remedy: 'new_email' },
  code_used: { status: 400, remedy: 'new_email', perhapsSignedIn: true },
  code_replaced: { status: 400, remedy: 'new_email' },
  code_other_device: { status: 400 },
  totp_invalid: { status: 400 },
  totp_reused: { status: 400 },
  recovery_code_invalid: { status: 400 },
  second_factor_expired: { status: 400 },
  second_factor_locked: { status: 429 },
  totp_already_enabled: { status: 409 },
  totp_not_enabled: { status: 409 },
  reauthentication_required: { status: 403, remedy: 'reauthenticate' },
  credentials_invalid: { status: 400 },
  password_too_short: { status: 400 },
  password_too_long: { status: 400 },
  password_breached: { status: 400 },
  password_not_set: { status: 409 },
  email_unchanged: { status: 400 },
  email_taken: { status: 409 },
  client_exists: { status: 409 },
  oidc_request_invalid: { status: 400 },
  oidc_interaction_expired: { status: 400 },
  // Passkeys (issue #17).
  passkeys_unavailable: { status: 400 },
  passkey_challenge_invalid: { status: 400 },
  passkey_challenge_expired: { status: 400 },
  passkey_invalid: { status: 400 },
  passkey_unknown: { status: 400 },
  passkey_exists: { status: 409 },
  passkey_not_found: { status: 404 },
  passkey_last_way_in: { status: 409 },
  passkey_limit_reached: { status: 409 },
  passkey_wrong_account: { status: 400 },
  unauthenticated: { status: 401 },
  admin_token_required: { status: 401 },
  forbidden: { status: 403 },
  // Forward-auth (issue #16): signed in, but no access rule lets this account open the app.
  access_denied: { status: 403 },
  // Forward-auth: the rule asks for a sign-in with a second factor (TOTP or a passkey).
  access_second_factor: { status: 403 },
  not_found: { status: 404 },
  rate_limited: { status: 429, remedy: 'try_again' },
  internal_error: { status: 500, remedy: 'try_again' },
  service_unavailable: { status: 503, remedy: 'try_again' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof REGISTRY;

export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = REGISTRY;

export const ERROR_CODES = Object.keys(REGISTRY) as readonly ErrorCode[];

export function errorStatus(code: ErrorCode): ErrorStatus {
  return ERRORS[code].status;
}

export function errorRemedy(code: ErrorCode): ErrorRemedy {
  return ERRORS[code].remedy ?? 'sign_in';
}

/** Failures whose remedy is a fresh sign-in email: their page offers one (with the resend countdown when this browser asked). */
export function offersNewMail(code: ErrorCode): boolean {
  const remedy = errorRemedy(code);
  return remedy === 'new_link' || remedy === 'new_email';
}
