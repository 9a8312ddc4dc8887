// A tiny browser-like client for tests: real HTTP, a cookie jar, and an Origin
// header on form posts as a browser would send. A form post carries the CSRF
// token a page of this browser shows (fetched from /auth/sign-in when needed),
// as a form submitted from a loaded page would; `csrf` overrides it (false: none).
export class Client {
  readonly cookies = new Map<string, string>();
  readonly baseUrl: string;
  userAgent: string;
  /** The token learned for the CSRF cookie value it was derived from. */
  private csrf: { cookie: string; token: string } | null = null;

  constructor(baseUrl: string, userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36') {
    this.baseUrl = baseUrl;
    this.userAgent = userAgent;
  }

  async request(
    path: string,
    init: RequestInit & { json?: unknown; form?: Record<string, string>; csrf?: string | false } = {},
  ): Promise<Response> {
    // Learned first: loading the page may give this browser its CSRF cookie.
    const form = init.form ? { ...init.form } : undefined;
    if (form && init.json === undefined && init.csrf !== false && !('csrf' in form)) form.csrf = init.csrf ?? (await this.csrfToken());
    const headers = new Headers(init.headers);
    headers.set('user-agent', this.userAgent);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    } else if (form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      if (!headers.has('origin')) headers.set('origin', new URL(this.baseUrl).origin);
      if (!headers.has('accept')) headers.set('accept', 'text/html');
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(new URL(path, this.baseUrl), { ...init, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** The CSRF cookie of this browser, if it has one. */
  csrfCookie(): string | undefined {
    return [...this.cookies].find(([name]) => name.endsWith('latchkey_csrf'))?.[1];
  }

  /** The CSRF token the forms of this browser's pages carry (loads the sign-in page when it does not know it yet). */
  async csrfToken(): Promise<string> {
    const known = this.csrfCookie();
    if (known && this.csrf?.cookie === known) return this.csrf.token;
    let response = await this.request('/auth/sign-in');
    // Signed in, the sign-in page sends the browser on (issue #12); the page there carries the same token.
    const onward = response.status === 303 ? response.headers.get('location') : null;
    if (onward) response = await this.request(onward);
    const page = await response.text();
    const token = /<input type="hidden" name="csrf" value="([A-Za-z0-9_-]+)">/.exec(page)?.[1];
    const cookie = this.csrfCookie();
    if (!token || !cookie) throw new Error('the sign-in page carries no CSRF token');
    this.csrf = { cookie, token };
    return token;
  }

  /** A second device: same server, no cookies. */
  fork(userAgent?: string): Client {
    return new Client(this.baseUrl, userAgent ?? this.userAgent);
  }
}

export function linkFrom(text: string): string {
  const match = /https?:\/\/[^\s>"]+\/auth\/verify\?token=[A-Za-z0-9_-]{43}/.exec(text);
  if (!match) throw new Error('no sign-in link in the message');
  return match[0];
}

export function tokenFrom(text: string): string {
  return new URL(linkFrom(text)).searchParams.get('token')!;
}

export function codeFrom(text: string): string {
  const match = /code[^0-9]{0,40}([0-9]{6})\b/i.exec(text);
  if (!match) throw new Error('no code in the message');
  return match[1]!;
}

/** The token of the first `path?token=…` link in a mail's text. */
export function linkToken(text: string, path: string): string {
  const match = new RegExp(`${path.replace(/\//g, '\\/')}\\?token=([A-Za-z0-9_-]{43})`).exec(text);
  if (!match) throw new Error(`no ${path} link in the message`);
  return match[1]!;
}

/** The stable `error.code` of a JSON error answer. */
export async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}
