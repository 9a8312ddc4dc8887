// SMTP delivery through nodemailer, over a small connection pool: sign-in mail
// comes in bursts (a launch, a reset wave), and a new TCP + SMTP handshake per
// message capped the outbox at a few hundred messages a second (bench/run.ts).
import type { Transporter } from 'nodemailer';
import type { Mailer, MailMessage } from './mailer.ts';

const TIMEOUT_MS = 10_000;
/** Cap on one send when the caller gives no deadline (the outbox gives one derived from its lease). */
const SEND_DEADLINE_MS = 30_000;

/** nodemailer's pooled transport for `url`, loaded now. */
async function pooledTransport(url: string): Promise<Transporter> {
  const { createTransport } = await import('nodemailer');
  // Parameters in the URL's query string (e.g. ?socketTimeout=20000) override these.
  // nodemailer's own logger stays off: its debug output would include AUTH exchanges.
  return createTransport({
    url,
    pool: true,
    // SMTP is one round trip per command and nodemailer does not pipeline, so a
    // connection carries few messages a second while the event loop is busy;
    // 20 kept the outbox level with a sign-in burst (bench). ?maxConnections=N lowers it.
    maxConnections: 20,
    // Reconnect now and then so a long-lived connection never goes stale.
    maxMessages: 500,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    logger: false,
    debug: false,
  });
}

export function createSmtpMailer(url: string): Mailer {
  // nodemailer loads at the first send or readiness check, not at startup: an
  // idle instance does not hold it (issue #14 item 5).
  let pool: Promise<Transporter> | null = null;
  const transport = () => (pool ??= pooledTransport(url));
  return {
    kind: 'smtp',
    async send(message: MailMessage, signal?: AbortSignal): Promise<void> {
      await (await transport()).sendMail({
        messageId: message.messageId,
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
        signal: signal ?? AbortSignal.timeout(SEND_DEADLINE_MS),
      });
    },
    async check(): Promise<boolean> {
      try {
        await (await transport()).verify();
        return true;
      } catch {
        return false;
      }
    },
    async close(): Promise<void> {
      (await pool?.catch(() => null))?.close();
    },
  };
}
