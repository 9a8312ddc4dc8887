// "Send a new email/link" with the wait the server enforces: the status line
// says how long (without JavaScript the button stays usable and the sentence is
// the whole story); assets/resend.js turns it into a live countdown that keeps
// the button disabled until the policy would accept the request
// (core/policy.ts secondsUntilNextMail computes the seconds for both).
import { html } from 'hono/html';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';

export interface ResendFormOptions {
  email: string;
  /** The checked redirect of the latest request, kept for the new one. */
  redirectTo?: string | null;
  /** Seconds until the server accepts another mail to this address (0: now). */
  waitSeconds: number;
  /** "You can ask … in {seconds} s." */
  waitText: string;
  /** Shown when the wait is over; with `quietWhenReady`, only after a countdown ended. */
  readyText: string;
  quietWhenReady?: boolean;
  /** Text, or markup (an address that wraps at its dots). */
  buttonLabel: string | ReturnType<typeof html>;
  primary?: boolean;
  /** A sentence above the status line. */
  lead?: string;
  /** Without the rule above it (on a page where it is the main action). */
  plain?: boolean;
}

export function resendForm(page: PageContext, options: ResendFormOptions) {
  const waiting = options.waitSeconds > 0;
  const status = waiting
    ? options.waitText.replace('{seconds}', String(options.waitSeconds))
    : options.quietWhenReady
      ? ''
      : options.readyText;
  return html`<form id="resend" class="resend${options.plain ? ' plain' : ''}" method="post" action="${urlFor('signInEmail')}"
  data-wait-seconds="${String(options.waitSeconds)}"
  data-wait-text="${options.waitText}"
  data-ready-text="${options.readyText}">${csrfField(page)}
  ${options.lead ? html`<p>${options.lead}</p>` : ''}
  <input type="hidden" name="email" value="${options.email}">
  <input type="hidden" name="typoChecked" value="1">
  <input type="hidden" name="resend" value="1">
  ${options.redirectTo ? html`<input type="hidden" name="redirectTo" value="${options.redirectTo}">` : ''}
  <p id="resend-status" class="hint resend-status" aria-live="polite">${status}</p>
  <button type="submit" class="${options.primary ? 'primary' : 'secondary'}" aria-describedby="resend-status">${options.buttonLabel}</button>
</form>`;
}
