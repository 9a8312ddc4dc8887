// The transport seam: the outbox hands fully composed messages to a Mailer and
// never knows whether they go out over SMTP or into the dev mailbox.

export interface MailMessage {
  /** Complete Message-ID header value, angle brackets included. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers (Auto-Submitted, X-Latchkey-Request-Id); values never hold CR/LF. */
  headers: Record<string, string>;
}

export interface Mailer {
  readonly kind: 'smtp' | 'dev';
  /**
   * Resolves once the transport accepted the message; throws otherwise (the
   * outbox retries), also when `signal` aborts first: the outbox's deadline,
   * which keeps a send inside the lease on its message.
   */
  send(message: MailMessage, signal?: AbortSignal): Promise<void>;
  /** true when the transport answers */
  check(): Promise<boolean>;
  close(): Promise<void>;
}
