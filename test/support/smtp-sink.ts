// A real SMTP server in the test process: messages travel over TCP through
// nodemailer exactly as in production, and the test reads them back parsed.
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ParsedMessage {
  /** Addresses of the To header, comma-separated (a single address in practice). */
  to: string;
  /** RCPT TO addresses of the envelope. */
  envelopeTo: string[];
  subject: string;
  text: string;
  html: string;
  /** Lower-cased header names. */
  headers: Map<string, HeaderValue>;
  /** With angle brackets, as in the header. */
  messageId: string;
}

export interface SmtpSink {
  readonly url: string;
  readonly port: number;
  readonly messages: ParsedMessage[];
  /** Resolves with the first message (already received or yet to come) that matches. */
  waitFor(predicate: (message: ParsedMessage) => boolean, timeoutMs?: number): Promise<ParsedMessage>;
  /** While failing, RCPT and DATA get a 451 (temporary) reply, so the sender sees an error. */
  setFailing(failing: boolean): void;
  /**
   * While stalled, RCPT TO gets no reply (a server that hangs before any message
   * content has travelled); unstalling answers the ones waiting. A sender that
   * gives up or dies meanwhile has delivered nothing.
   */
  setStalled(stalled: boolean): void;
  /** Answers the RCPT TO commands waiting now and stays stalled for the next ones. Returns how many. */
  answerStalled(): number;
  /** From now on, accept each message only after this long (like the delayMs option). */
  setDelay(delayMs: number): void;
  /** RCPT TO commands waiting for a reply right now. */
  readonly stalledCount: number;
  close(): Promise<void>;
}

function temporaryFailure(): Error {
  return Object.assign(new Error('Requested action aborted: try again later (test sink)'), { responseCode: 451 });
}

function addresses(value: AddressObject | AddressObject[] | undefined): string {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((group) => group.value.map((a) => a.address ?? '')).filter(Boolean).join(', ');
}

/** delayMs: every message is accepted only after this long (a slow SMTP server). */
export async function startSmtpSink(options: { port?: number; delayMs?: number | undefined } = {}): Promise<SmtpSink> {
  const messages: ParsedMessage[] = [];
  const waiters = new Set<(message: ParsedMessage) => void>();
  let failing = false;
  let stalled = false;
  let delayMs = options.delayMs ?? 0;
  const held: (() => void)[] = [];

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 500,
    onRcptTo(_address, _session, callback) {
      const answer = () => callback(failing ? temporaryFailure() : null);
      if (stalled) held.push(answer);
      else answer();
    },
    onData(stream, session, callback) {
      if (failing) {
        stream.resume();
        stream.on('end', () => callback(temporaryFailure()));
        return;
      }
      // Parsed and recorded before the 250 reply: once the sender's send resolves, the message is visible here.
      const slow = (value: Awaited<ReturnType<typeof simpleParser>>) =>
        new Promise<typeof value>((resolve) => setTimeout(() => resolve(value), delayMs));
      simpleParser(stream).then(slow).then(
        (mail) => {
          const message: ParsedMessage = {
            to: addresses(mail.to),
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            headers: mail.headers,
            messageId: mail.messageId ?? '',
          };
          messages.push(message);
          for (const waiter of [...waiters]) waiter(message);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {}); // per-connection errors (a client hanging up) are not test failures
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (message: ParsedMessage) => {
          if (!predicate(message)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(message);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`smtp sink: no matching message within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    setFailing(value) {
      failing = value;
    },
    setDelay(value) {
      delayMs = value;
    },
    setStalled(value) {
      stalled = value;
      if (!value) for (const answer of held.splice(0)) answer();
    },
    answerStalled() {
      const waiting = held.splice(0);
      for (const answer of waiting) answer();
      return waiting.length;
    },
    get stalledCount() {
      return held.length;
    },
    close() {
      stalled = false;
      for (const answer of held.splice(0)) answer();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
