// "Firefox on Windows asked for this": the browser and OS of a user agent, read
// by bowser (a maintained parser) rather than by hand. Names are bowser's, with
// a few shortened to what people call them. The user agent is attacker-chosen:
// only names bowser recognised reach a page or a mail, never the raw string.
import Bowser from 'bowser';
import { translator, type Translator } from '../i18n/catalog.ts';

const SHORT_NAMES: Record<string, string> = {
  'Microsoft Edge': 'Edge',
  'Chrome Headless': 'Chrome',
  'Samsung Internet for Android': 'Samsung Internet',
};

function shortName(name: string | undefined): string | null {
  if (!name) return null;
  return SHORT_NAMES[name] ?? name;
}

/** "Chrome on macOS", "Firefox", "an unknown browser on Linux", "an unknown browser". */
export function describeUserAgent(ua: string | null | undefined, t: Translator = translator('en')): string {
  if (!ua) return t('device.unknown');
  const parsed = Bowser.parse(ua.slice(0, 512));
  const browser = shortName(parsed.browser.name);
  const os = shortName(parsed.os.name);
  if (browser && os) return t('device.browserOnOs', { browser, os });
  if (browser) return browser;
  if (os) return t('device.unknownOnOs', { os });
  return t('device.unknown');
}
