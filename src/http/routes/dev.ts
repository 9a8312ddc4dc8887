// The dev mailbox page: only mounted outside production and without SMTP.
import { isLoopbackHost } from '../../listen-address.ts';
import { renderDevMailbox, type DevMailbox } from '../../mail/dev-mailbox.ts';
import type { Endpoints } from '../route-groups.ts';

export function devRoutes(mailbox: DevMailbox | null): Endpoints {
  if (!mailbox) return {};
  return {
    devMailbox: (c) => {
      // DNS rebinding (a variant of issue #12 finding 14): any page the developer
      // visits can point its own name at 127.0.0.1 and read this page as same-origin;
      // the browser still sends that name as Host. Only a loopback name sees the mailbox.
      if (!isLoopbackHost(new URL(c.req.url).hostname)) return c.notFound();
      // The messages' own HTML uses inline styles, shown in a sandboxed srcdoc frame.
      c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'");
      c.header('Cache-Control', 'no-store');
      return c.html(renderDevMailbox(mailbox.list()));
    },
  };
}
