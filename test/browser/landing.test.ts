// Issue #12: `/` was a 404 and `/favicon.ico` a 404 on every page (a console
// error in every browser). A person typing the bare address lands on the sign-in
// page, every page names an icon that loads, and /favicon.ico answers for the
// browsers and tools that ask for it anyway.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { useHttpServer } from '../support/http-suite.ts';
import type { TestServer } from '../support/server.ts';
import { sqliteBackend } from '../support/stores.ts';
import { chromiumMissing, newDevice, useChromium } from './harness.ts';

describe('the bare address and the icon in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let server: TestServer;

  useChromium('landing', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, {}, (parts) => ({ server } = parts));

  it('/ leads to the sign-in page, whose icon loads, with no console error or failed request', async () => {
    const d = await newDevice(browser, server.url);
    const landed = await d.page.goto(`${server.url}/`);
    assert.equal(landed?.status(), 200);
    assert.equal(new URL(d.page.url()).pathname, '/auth/sign-in');
    assert.ok(await d.page.getByLabel('Email').isVisible());

    const iconHref = await d.page.locator('link[rel="icon"]').getAttribute('href');
    assert.ok(iconHref, 'the page names its icon');
    // The icon really renders under the page's CSP (img-src 'self').
    const width = await d.page.evaluate(async (src) => {
      const image = new Image();
      image.src = src;
      await image.decode();
      return image.naturalWidth;
    }, iconHref);
    assert.ok(width > 0, 'the icon decodes');

    // Fetched outside the page: with Playwright's request routing on (the harness routes axe),
    // Chromium fails every page request for /favicon.ico, whatever the server answers.
    const bodies: string[] = [];
    for (const path of [iconHref, '/favicon.ico']) {
      const response = await d.page.request.get(new URL(path, server.url).href);
      assert.equal(response.status(), 200, path);
      assert.match(response.headers()['content-type'] ?? '', /^image\//, path);
      assert.match(response.headers()['cache-control'] ?? '', /max-age=\d+/, `${path} is cached`);
      bodies.push(await response.text());
    }
    assert.equal(bodies[1], bodies[0], '/favicon.ico is the icon the page links');
    await d.close();
    assert.deepEqual(d.problems, []);
  });
});
