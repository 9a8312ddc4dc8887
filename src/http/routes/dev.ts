// The dev mailbox page: only mounted outside production and without SMTP.
import type { Hono } from 'hono';
import { renderDevMailbox, type DevMailbox } from '../../mail/dev-mailbox.ts';
import type { AppEnv } from '../env.ts';

export function devRoutes(app: Hono<AppEnv>, mailbox: DevMailbox): void {
  app.get('/dev/mailbox', (c) => {
    // The messages' own HTML uses inline styles, shown in a sandboxed srcdoc frame.
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'");
    c.header('Cache-Control', 'no-store');
    return c.html(renderDevMailbox(mailbox.list()));
  });
}
