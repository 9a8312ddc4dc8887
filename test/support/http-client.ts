// A tiny browser-like client for tests: real HTTP, a cookie jar, and an Origin
// header on form posts as a browser would send.
export class Client {
  readonly cookies = new Map<string, string>();
  readonly baseUrl: string;
  userAgent: string;

  constructor(baseUrl: string, userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36') {
    this.baseUrl = baseUrl;
    this.userAgent = userAgent;
  }

  async request(path: string, init: RequestInit & { json?: unknown; form?: Record<string, string> } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', this.userAgent);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    } else if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      if (!headers.has('origin')) headers.set('origin', new URL(this.baseUrl).origin);
      if (!headers.has('accept')) headers.set('accept', 'text/html');
      body = new URLSearchParams(init.form).toString();
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
