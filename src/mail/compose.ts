// Turns a fresh sign-in token into a sealed outbox row. Rendering happens here,
// at request time, because the link exists only now: the store never sees it in
// clear (the row is encrypted and cleared once sent).
import { randomUUID } from 'node:crypto';
import type { ComposeSignInMail } from '../core/sign-in.ts';
import { sealMessage } from './outbox.ts';
import { renderSignInMessage } from './sign-in-message.ts';

export function composeSignInMail(options: { sealKey: Buffer; productName: string; tokenTtlSeconds: number }): ComposeSignInMail {
  return ({ to, link, code, record, requestId }) => {
    const message = renderSignInMessage({
      productName: options.productName,
      link,
      code,
      email: to,
      expiresInSeconds: options.tokenTtlSeconds,
      requestedAt: record.createdAt,
      ip: record.requestIp,
      userAgent: record.requestUserAgent,
    });
    return {
      id: randomUUID(),
      createdAt: record.createdAt,
      requestId,
      recipient: to,
      payload: sealMessage(options.sealKey, { to, ...message }),
    };
  };
}
