// What the trail keeps of an address: a SHA-256 of its canonical form (issue
// #6), domain-separated from every other hash in Latchkey. The trail can still
// be searched by address (listAudit hashes the query the same way), but it does
// not become a list of every address anyone ever typed into the sign-in form.
// In the store layer, which searches by it; core/audit.ts re-exports it for the
// events it builds.
import { hash } from 'node:crypto';

export function auditEmail(canonicalEmail: string): string {
  return hash('sha256', `latchkey-audit-email:${canonicalEmail}`, 'base64url');
}
