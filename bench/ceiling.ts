// The machine's own ceiling: bare node:http servers with no framework. `ok`
// answers a constant; `sha-map` hashes the cookie and looks it up in a Map, the
// least any session check must do.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const mode = process.argv[2] ?? 'ok';
const port = Number(process.argv[3] ?? 0);
const sessions = new Map<string, string>([[createHash('sha256').update('bench-cookie-value').digest('base64url'), 'user-1']]);

const server = createServer((request, response) => {
  if (mode === 'ok') {
    response.end('ok');
    return;
  }
  const cookie = /latchkey_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1] ?? '';
  const user = sessions.get(createHash('sha256').update(cookie).digest('base64url'));
  response.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
  response.end(user ? `{"user":"${user}"}` : '{}');
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
