// Security headers on every response. The pages carry no inline script or
// style, so the CSP can be strict. form-action must allow the redirect origins,
// or the 303 after a form POST to an allowlisted app would be blocked.
import { secureHeaders } from 'hono/secure-headers';
import type { LatchkeyConfig } from '../config.ts';

export function securityHeaders(config: LatchkeyConfig) {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'", ...config.allowedRedirectOrigins],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: config.baseUrl.protocol === 'https:' ? 'max-age=31536000; includeSubDomains' : false,
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: 'same-origin',
    // A route may set its own CSP (the dev mailbox).
    overwrite: false,
  });
}
