// A body an Express parser already read (issue #14: a global express.json() or
// express.urlencoded() is common), rebuilt from what it left in req.body in the
// request's own content type, so Latchkey reads the request as it was sent:
// all but what the parser dropped (of a duplicate JSON key, JSON.parse keeps the
// last, which Latchkey's own strict reading refuses; SECURITY.md).
import type { ParsedRequest } from './listener.ts';

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Form encoding of what querystring (extended: false) or qs (extended: true)
 * parsed: a repeated field was a list, `a[b]=c` became nested objects and goes
 * back to brackets, so Latchkey sees (and refuses) what the client sent.
 */
function appendField(form: URLSearchParams, name: string, value: unknown): void {
  if (Array.isArray(value)) value.forEach((item, index) => appendField(form, isRecord(item) || Array.isArray(item) ? `${name}[${index}]` : name, item));
  else if (isRecord(value)) for (const [key, inner] of Object.entries(value)) appendField(form, `${name}[${key}]`, inner);
  else form.append(name, value === null || value === undefined ? '' : String(value));
}

function formEncoded(body: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) appendField(form, name, value);
  return form.toString();
}

/**
 * The bytes of the body: as is from express.raw() (a Buffer) and express.text()
 * (a string), JSON text from express.json(), form encoding from
 * express.urlencoded(). Null when nothing faithful can be rebuilt (multipart
 * parsed by multer and the like, a parser that left no body): Latchkey then
 * answers body_already_parsed, naming the cause and the fix.
 */
export function rebuiltBody(req: ParsedRequest): Buffer | null {
  const { body } = req;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const type = mediaType(req.headers['content-type']);
  if ((type === 'application/json' || type.endsWith('+json')) && body !== undefined) return Buffer.from(JSON.stringify(body), 'utf8');
  if (type === 'application/x-www-form-urlencoded' && isRecord(body)) return Buffer.from(formEncoded(body), 'utf8');
  return null;
}
