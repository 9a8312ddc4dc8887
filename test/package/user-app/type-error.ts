// A deliberate type error (test/package/install.test.ts): tsc must reject it,
// which it could not if the package's types were `any`.
import type { Latchkey } from 'latchkey';

export async function emailOf(latchkey: Latchkey, request: Request): Promise<number | null> {
  const found = await latchkey.getSession(request);
  return found ? found.user.email : null;
}
