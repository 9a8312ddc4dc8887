// The durable outbox: sign-in requests queue a sealed message in the same
// transaction as the token, and this worker delivers it. Claims are leases, so a
// crashed worker's messages come back; the Message-ID is derived from the row id,
// so a resend after a crash is recognisably the same message.
//
// Timing within one lease (default 60 s), so a live worker never overlaps the
// next claimant: a message starts sending only in the first quarter of its
// lease, and a send is aborted after half a lease. What could not start in time,
// or was claimed when stop() came, is released for any worker to take at once.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { auditEvent, type AuditEvent } from '../core/audit.ts';
import { seal, unseal } from '../core/crypto.ts';
import type { OutboxMessage, Store } from '../store/store.ts';
import type { Mailer, MailMessage } from './mailer.ts';

/** A rendered message (payload version 1: rows queued by earlier versions, and tests). */
export interface RenderedContent {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * What is sealed into an outbox row: since version 2 the inputs of a template
 * (mail/compose.ts), which the worker renders when it sends. Rendering the HTML
 * is the costliest step of a sign-in request, and the rows stay small.
 */
export type OutboxContent = RenderedContent | { to: string; template: unknown };

export function sealMessage(key: Buffer, m: OutboxContent): string {
  if ('template' in m) return seal(key, JSON.stringify({ v: 2, to: m.to, template: m.template }));
  return seal(key, JSON.stringify({ v: 1, to: m.to, subject: m.subject, text: m.text, html: m.html }));
}

/** Throws when the payload was sealed with another key, tampered with, or malformed. */
export function openMessage(key: Buffer, payload: string): OutboxContent {
  const value: unknown = JSON.parse(unseal(key, payload));
  const m = value as Partial<Record<keyof RenderedContent | 'v' | 'template', unknown>> | null;
  if (m && m.v === 2 && typeof m.to === 'string' && m.template !== null && typeof m.template === 'object') {
    return { to: m.to, template: m.template };
  }
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
  /** Renders a version-2 payload's template inputs (mail/compose.ts renderQueuedMail with the brand). */
  render?: (template: unknown) => { subject: string; text: string; html: string };
  from: string;
  messageIdDomain: string;
  workerId?: string;
  now?: () => number;
  pollIntervalMs?: number;
  batchSize?: number;
  /** Sends in flight at once (the rest of a batch waits its turn). */
  concurrency?: number;
  leaseMs?: number;
  maxAttempts?: number;
  backoffMs?: (attempt: number) => number;
  logger?: OutboxLogger;
  /** Told the result of every delivery attempt (the metrics count them). */
  onAttempt?: (result: 'sent' | 'retrying' | 'dead') => void;
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
  #stopping = false;
  /** The current batch's rows that are claimed but not started yet. */
  #pending: OutboxMessage[] = [];
  /** Sent rows waiting for their shared commit (#markSent). */
  #marks: { rows: OutboxMessage[]; done: Promise<void> } | null = null;

  constructor(options: OutboxWorkerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#o = {
      store: options.store,
      mailer: options.mailer,
      sealKey: options.sealKey,
      render:
        options.render ??
        (() => {
          throw new Error('outbox payload needs rendering, but the worker has no renderer');
        }),
      from: options.from,
      messageIdDomain: options.messageIdDomain,
      now: options.now ?? Date.now,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      batchSize: options.batchSize ?? 50,
      concurrency: options.concurrency ?? 10,
      leaseMs: options.leaseMs ?? 60_000,
      maxAttempts: options.maxAttempts ?? 8,
      backoffMs: options.backoffMs ?? defaultBackoffMs,
      logger: options.logger ?? silent,
      onAttempt: options.onAttempt ?? (() => {}),
    };
  }

  /** Starts polling (first run at once: a restart picks up what was queued). Timers are unref'd. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
  }

  /**
   * Stops claiming: sends in flight finish (each within half a lease), messages
   * claimed but not yet started are released to other workers at once.
   */
  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Now, not after the sends in flight: another instance can start on them meanwhile.
    const unstarted = this.#pending.splice(0);
    if (unstarted.length > 0) await this.#release(unstarted);
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
    const { store, batchSize, leaseMs, concurrency } = this.#o;
    if (this.#stopping) return { sent: 0, failed: 0 };
    const claimedAt = this.#o.now();
    const pending = (this.#pending = await store.claimOutbox(this.workerId, claimedAt, batchSize, leaseMs));
    const unstarted: OutboxMessage[] = [];
    let sent = 0;
    let failed = 0;
    const lane = async () => {
      for (let row = pending.shift(); row; row = pending.shift()) {
        // Too late to finish inside the lease, or shutting down: hand the rest back.
        if (this.#stopping || this.#o.now() - claimedAt > leaseMs / 4) {
          unstarted.push(row, ...pending.splice(0));
          return;
        }
        if (await this.#deliver(row, leaseMs / 2)) sent++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, lane));
    if (unstarted.length > 0) await this.#release(unstarted);
    return { sent, failed };
  }

  async #release(rows: OutboxMessage[]): Promise<void> {
    const ids = rows.map((row) => row.id);
    try {
      const released = await this.#o.store.releaseOutbox(ids, this.workerId);
      this.#o.logger.info({ released, stopping: this.#stopping }, 'outbox: released claimed messages to other workers');
    } catch (error) {
      // Not lost: they come back when the lease runs out.
      this.#o.logger.error({ count: ids.length, err: describeError(error) }, 'outbox: could not release claimed messages');
    }
    this.#again = true; // whoever is still running takes them now
  }

  /** Never throws: one bad row must not stop the others. */
  async #deliver(row: OutboxMessage, deadlineMs: number): Promise<boolean> {
    const { logger } = this.#o;
    const attempts = row.attempts + 1;
    try {
      await this.#o.mailer.send(this.#compose(row, openMessage(this.#o.sealKey, row.payload)), AbortSignal.timeout(deadlineMs));
    } catch (error) {
      await this.#fail(row, attempts, describeError(error));
      return false;
    }
    this.#o.onAttempt('sent');
    try {
      await this.#markSent(row);
      logger.info({ outboxId: row.id, attempts, requestId: row.requestId }, 'mail sent');
    } catch (error) {
      // Delivered but not recorded: the lease will lapse and it will be resent with the same Message-ID.
      logger.error({ outboxId: row.id, attempts, err: describeError(error) }, 'mail sent but not marked sent');
    }
    return true;
  }

  /**
   * Sends that finish in the same turn of the event loop are recorded in one
   * transaction: a commit per message cost as much as queueing it (bench).
   */
  #markSent(row: OutboxMessage): Promise<void> {
    if (!this.#marks) {
      const rows: OutboxMessage[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.#marks = null;
        const at = this.#o.now();
        return this.#o.store.markOutboxSent(
          rows.map((r) => r.id),
          this.workerId,
          at,
          rows.map((r) => this.#event(r, 'mail.sent', null, at)),
        );
      });
      this.#marks = { rows, done };
    }
    this.#marks.rows.push(row);
    return this.#marks.done;
  }

  async #fail(row: OutboxMessage, attempts: number, reason: string): Promise<void> {
    const { store, logger, maxAttempts } = this.#o;
    const dead = attempts >= maxAttempts;
    const nextAttemptAt = dead ? null : this.#o.now() + this.#o.backoffMs(attempts);
    const fields = { outboxId: row.id, attempts, requestId: row.requestId, error: reason };
    this.#o.onAttempt(dead ? 'dead' : 'retrying');
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
    const rendered = 'template' in content ? this.#render(content.template) : content;
    return {
      messageId: `<${row.id}@${this.#o.messageIdDomain}>`,
      from: this.#o.from,
      to: content.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      headers,
    };
  }

  #render(template: unknown): { subject: string; text: string; html: string } {
    return this.#o.render(template);
  }

  #event(row: OutboxMessage, type: 'mail.sent' | 'mail.failed', reason: string | null, at = this.#o.now()): AuditEvent {
    return auditEvent(
      { requestId: row.requestId, ip: null, userAgent: null },
      { type, outcome: type === 'mail.sent' ? 'success' : 'failure', reason, at, email: row.recipient },
    );
  }
}

