// Development transport: keeps recent messages in memory for /dev/mailbox and
// hands each one to a callback (the server prints the sign-in link). Never used
// in production, which requires SMTP.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Mailer, MailMessage } from './mailer.ts';

const CAPACITY = 100;

export interface DevMailboxOptions {
  onMessage?: (message: MailMessage) => void;
}

export class DevMailbox implements Mailer {
  readonly kind = 'dev' as const;
  #messages: MailMessage[] = [];
  #onMessage: ((message: MailMessage) => void) | undefined;

  constructor(options: DevMailboxOptions = {}) {
    this.#onMessage = options.onMessage;
  }

  async send(message: MailMessage): Promise<void> {
    const copy: MailMessage = { ...message, headers: { ...message.headers } };
    // A retry reuses the Message-ID: show the message once, like a real inbox would thread it.
    this.#messages = [copy, ...this.#messages.filter((m) => m.messageId !== copy.messageId)].slice(0, CAPACITY);
    try {
      this.#onMessage?.(copy);
    } catch {
      // The message is delivered; a failing console hook must not make the outbox resend it.
    }
  }

  /** Newest first. */
  list(): MailMessage[] {
    return [...this.#messages];
  }

  get(messageId: string): MailMessage | null {
    return this.#messages.find((m) => m.messageId === messageId) ?? null;
  }

  async check(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}

function sync(value: HtmlEscapedString | Promise<HtmlEscapedString>): string {
  if (value instanceof Promise) throw new Error('dev mailbox rendered asynchronously');
  return value.toString();
}

// Links inside the frame open in the top window (on a click only); the frame gets
// no scripts and no origin, so the message HTML cannot touch the page or cookies.
const SANDBOX = 'allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation';

function renderMessage(message: MailMessage) {
  return html`<article>
<h2>${message.subject}</h2>
<dl>
<dt>To</dt><dd>${message.to}</dd>
<dt>From</dt><dd>${message.from}</dd>
<dt>Message-ID</dt><dd><code>${message.messageId}</code></dd>
${Object.entries(message.headers).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
</dl>
<iframe title="${`HTML part: ${message.subject}`}" sandbox="${SANDBOX}" srcdoc="${`<base target="_top">${message.html}`}"></iframe>
<details><summary>Plain text</summary><pre>${message.text}</pre></details>
</article>`;
}

const STYLE = raw(`body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#18181b}
article{border:1px solid #e4e4e7;border-radius:8px;padding:1rem;margin:1rem 0}
h2{margin:0 0 .5rem;font-size:1.1rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;font-size:.875rem}
dt{color:#52525b}dd{margin:0;overflow-wrap:anywhere}iframe{width:100%;height:36rem;border:1px solid #e4e4e7;border-radius:4px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f5;padding:.75rem;border-radius:4px}`);

/** The /dev/mailbox page: no script at all, every value escaped. */
export function renderDevMailbox(messages: readonly MailMessage[]): string {
  return sync(html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>Dev mailbox</title><style>${STYLE}</style></head>
<body>
<h1>Dev mailbox</h1>
<p>The last ${CAPACITY} messages sent while no SMTP server is configured, newest first. Reload to see new mail.</p>
${messages.length === 0 ? html`<p>No messages yet.</p>` : messages.map(renderMessage)}
</body>
</html>
`);
}
