// Which requests a Latchkey mounted inside another app answers (issue #14). Its
// paths are fixed (links in mail name them, and the base URL is an origin only):
// every top-level name of its route table (/auth/…, /dev/…, /admin/…, /healthz,
// /readyz, /version, /metrics, /openapi.json), read from the table so a new route
// is served without a second list. `/` and `/favicon.ico` stay the host app's:
// they are its home page and its icon.
import type { Latchkey } from '../latchkey.ts';

/** Where requireSession sends a browser that is not signed in. */
export const SIGN_IN_PATH = '/auth/sign-in';

const HOST_APP_NAMES = new Set(['', 'favicon.ico']);

/** The first segment of each path Latchkey serves when mounted: `auth` for `/auth/sign-in`. */
export function latchkeyTopLevelNames(latchkey: Pick<Latchkey, 'app'>): string[] {
  const names = new Set<string>();
  for (const route of latchkey.app.routes) {
    const name = route.path.split('/')[1] ?? '';
    // `/*` is middleware; a name with a parameter or wildcard is none of ours.
    if (!HOST_APP_NAMES.has(name) && !name.startsWith(':') && !name.includes('*')) names.add(name);
  }
  return [...names].sort();
}

/** The path of a request target (`/auth/verify?token=…` → `/auth/verify`). */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** A test of a request path: does a mounted Latchkey answer it (else the host app does)? */
export function servedByLatchkey(latchkey: Pick<Latchkey, 'app'>): (path: string) => boolean {
  const names = new Set(latchkeyTopLevelNames(latchkey));
  return (path) => names.has(path.split('/')[1] ?? '');
}
