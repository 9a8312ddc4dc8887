// SMTP delivery through nodemailer, over a small connection pool: sign-in mail
// comes in bursts (a launch, a reset wave), and a new TCP + SMTP handshake per
// message capped the outbox at a few hundred messages a second (bench/run.ts).
import { createTransport } from 'nodemailer';
import type { Mailer, MailMessage } from './mailer.ts';

const TIMEOUT_MS = 10_000;
/** Hard cap on one send, well under the outbox lease, so a stalled server cannot outlive the claim. */
const SEND_DEADLINE_MS = 30_000;

export function createSmtpMailer(url: string): Mailer {
  // Parameters in the URL's query string (e.g. ?socketTimeout=20000) override these.
  // nodemailer's own logger stays off: its debug output would include AUTH exchanges.
  const transporter = createTransport({
    url,
    pool: true,
    maxConnections: 5,
    // Reconnect now and then so a long-lived connection never goes stale.
    maxMessages: 500,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    logger: false,
    debug: false,
  });

  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<void> {
      await transporter.sendMail({
        messageId: message.messageId,
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
        signal: AbortSignal.timeout(SEND_DEADLINE_MS),
      });
    },
    async check(): Promise<boolean> {
      try {
        await transporter.verify();
        return true;
      } catch {
        return false;
      }
    },
    async close(): Promise<void> {
      transporter.close();
    },
  };
}
