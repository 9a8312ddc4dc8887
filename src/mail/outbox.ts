// The durable outbox: sign-in requests queue a sealed message in the same
// transaction as the token, and this worker delivers it. Claims are leases, so a
// crashed worker's messages come back; the Message-ID is derived from the row id,
// so a resend after a crash is recognisably the same message.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { auditEvent, type AuditEvent } from '../core/audit.ts';
import { seal, unseal } from '../core/crypto.ts';
import type { OutboxMessage, Store } from '../store/store.ts';
import type { Mailer, MailMessage } from './mailer.ts';

/** What is sealed into an outbox row. */
export interface OutboxContent {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export function sealMessage(key: Buffer, m: OutboxContent): string {
  return seal(key, JSON.stringify({ v: 1, to: m.to, subject: m.subject, text: m.text, html: m.html }));
}

/** Throws when the payload was sealed with another key, tampered with, or malformed. */
export function openMessage(key: Buffer, payload: string): OutboxContent {
  const value: unknown = JSON.parse(unseal(key, payload));
  const m = value as Partial<Record<keyof OutboxContent | 'v', unknown>> | null;
  if (!m || m.v !== 1 || ![m.to, m.subject, m.text, m.html].every((f) => typeof f === 'string')) {
    throw new Error('malformed outbox payload');
  }
  return { to: m.to as string, subject: m.subject as string, text: m.text as string, html: m.html as string };
}

export interface OutboxLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OutboxWorkerOptions {
  store: Store;
  mailer: Mailer;
  sealKey: Buffer;
  from: string;
  messageIdDomain: string;
  workerId?: string;
  now?: () => number;
  pollIntervalMs?: number;
  batchSize?: number;
  leaseMs?: number;
  maxAttempts?: number;
  backoffMs?: (attempt: number) => number;
  logger?: OutboxLogger;
}

/** 5s, 10s, 20s… capped at one hour, ±20% so retries after an outage do not arrive in lockstep. */
export function defaultBackoffMs(attempt: number): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** SMTP errors can quote server responses; keep them short, single-line and free of query strings (tokens). */
export function describeError(error: unknown): string {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [e.code, e.responseCode, e.message ?? String(error)].filter((p) => typeof p === 'string' || typeof p === 'number');
  const text = parts.join(' ').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/(https?:\/\/[^\s?#]*)[?#]\S*/g, '$1?…');
  return text.slice(0, 500) || 'unknown error';
}

const silent: OutboxLogger = { info() {}, warn() {}, error() {} };

export class OutboxWorker {
  readonly workerId: string;
  #o: Required<Omit<OutboxWorkerOptions, 'workerId'>>;
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #looping = false;
  #again = false;

  constructor(options: OutboxWorkerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#o = {
      store: options.store,
      mailer: options.mailer,
      sealKey: options.sealKey,
      from: options.from,
      messageIdDomain: options.messageIdDomain,
      now: options.now ?? Date.now,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      batchSize: options.batchSize ?? 50,
      leaseMs: options.leaseMs ?? 60_000,
      maxAttempts: options.maxAttempts ?? 8,
      backoffMs: options.backoffMs ?? defaultBackoffMs,
      logger: options.logger ?? silent,
    };
  }

  /** Starts polling (first run at once: a restart picks up what was queued). Timers are unref'd. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#schedule(0);
  }

  /** Stops polling and waits for a batch in flight. */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#chain;
  }

  /** A message was queued: run soon instead of after the poll interval. No-op unless started. */
  notify(): void {
    this.#schedule(0);
  }

  /** Claims one batch and delivers it. Calls are serialised: runs never overlap. */
  runOnce(): Promise<{ sent: number; failed: number }> {
    const run = this.#chain.then(() => this.#runBatch());
    this.#chain = run.catch(() => {});
    return run;
  }

  #schedule(delayMs: number): void {
    if (!this.#started) return;
    if (this.#timer) {
      if (delayMs > 0) return; // a run is already due no later than this one
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => this.#tick(), delayMs);
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = null;
    if (this.#looping) {
      this.#again = true; // picked up when the current run ends
      return;
    }
    this.#looping = true;
    this.#again = false;
    this.runOnce()
      .then(
        ({ sent, failed }) => {
          if (sent + failed >= this.#o.batchSize) this.#again = true; // more may be waiting
        },
        (error: unknown) => this.#o.logger.error({ err: describeError(error) }, 'outbox run failed'),
      )
      .finally(() => {
        this.#looping = false;
        this.#schedule(this.#again ? 0 : this.#o.pollIntervalMs);
      });
  }

  async #runBatch(): Promise<{ sent: number; failed: number }> {
    const { store, batchSize, leaseMs } = this.#o;
    const rows = await store.claimOutbox(this.workerId, this.#o.now(), batchSize, leaseMs);
    // In parallel: each send is capped well under the lease, so the whole batch is too.
    const results = await Promise.all(rows.map((row) => this.#deliver(row)));
    const sent = results.filter(Boolean).length;
    return { sent, failed: results.length - sent };
  }

  /** Never throws: one bad row must not stop the others. */
  async #deliver(row: OutboxMessage): Promise<boolean> {
    const { store, logger } = this.#o;
    const attempts = row.attempts + 1;
    try {
      await this.#o.mailer.send(this.#compose(row, openMessage(this.#o.sealKey, row.payload)));
    } catch (error) {
      await this.#fail(row, attempts, describeError(error));
      return false;
    }
    try {
      await store.markOutboxSent(row.id, this.workerId, this.#o.now(), [this.#event(row, 'mail.sent', null)]);
      logger.info({ outboxId: row.id, attempts, requestId: row.requestId }, 'mail sent');
    } catch (error) {
      // Delivered but not recorded: the lease will lapse and it will be resent with the same Message-ID.
      logger.error({ outboxId: row.id, attempts, err: describeError(error) }, 'mail sent but not marked sent');
    }
    return true;
  }

  async #fail(row: OutboxMessage, attempts: number, reason: string): Promise<void> {
    const { store, logger, maxAttempts } = this.#o;
    const dead = attempts >= maxAttempts;
    const nextAttemptAt = dead ? null : this.#o.now() + this.#o.backoffMs(attempts);
    const fields = { outboxId: row.id, attempts, requestId: row.requestId, error: reason };
    try {
      await store.markOutboxFailed(row.id, this.workerId, reason, nextAttemptAt, [
        this.#event(row, 'mail.failed', dead ? 'dead' : 'retrying'),
      ]);
    } catch (error) {
      logger.error({ ...fields, err: describeError(error) }, 'mail failed and could not be recorded');
      return;
    }
    if (dead) logger.error(fields, 'mail failed; giving up');
    else logger.warn({ ...fields, nextAttemptAt }, 'mail failed; will retry');
  }

  #compose(row: OutboxMessage, content: OutboxContent): MailMessage {
    const headers: Record<string, string> = { 'Auto-Submitted': 'auto-generated' };
    // The HTTP layer restricts request ids already; a header value must never carry CR/LF regardless.
    if (row.requestId && !/[\u0000-\u001f\u007f]/.test(row.requestId) && row.requestId.length <= 200) {
      headers['X-Latchkey-Request-Id'] = row.requestId;
    }
    return {
      messageId: `<${row.id}@${this.#o.messageIdDomain}>`,
      from: this.#o.from,
      to: content.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      headers,
    };
  }

  #event(row: OutboxMessage, type: 'mail.sent' | 'mail.failed', reason: string | null): AuditEvent {
    return auditEvent(
      { requestId: row.requestId, ip: null, userAgent: null },
      { type, outcome: type === 'mail.sent' ? 'success' : 'failure', reason, at: this.#o.now(), email: row.recipient },
    );
  }
}

