// "Open Gmail": the inbox of the big webmail providers, chosen by the
// address's domain. Unknown domains (a company's own) get no button: we cannot
// know where that mailbox lives.

export interface Webmail {
  name: string;
  url: string;
}

const PROVIDERS: { webmail: Webmail; domains: string[] }[] = [
  { webmail: { name: 'Gmail', url: 'https://mail.google.com/mail/u/0/#inbox' }, domains: ['gmail.com', 'googlemail.com'] },
  {
    webmail: { name: 'Outlook', url: 'https://outlook.live.com/mail/0/inbox' },
    domains: ['outlook.com', 'outlook.de', 'hotmail.com', 'hotmail.de', 'hotmail.co.uk', 'live.com', 'live.de', 'msn.com'],
  },
  { webmail: { name: 'Yahoo Mail', url: 'https://mail.yahoo.com/' }, domains: ['yahoo.com', 'yahoo.de', 'yahoo.co.uk', 'ymail.com'] },
  { webmail: { name: 'iCloud Mail', url: 'https://www.icloud.com/mail' }, domains: ['icloud.com', 'me.com', 'mac.com'] },
  { webmail: { name: 'Proton Mail', url: 'https://mail.proton.me/u/0/inbox' }, domains: ['proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me'] },
];

export function webmailFor(email: string): Webmail | null {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return PROVIDERS.find((p) => p.domains.includes(domain))?.webmail ?? null;
}
