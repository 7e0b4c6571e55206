// Drives Debian's headless Chromium (playwright-core, no browser download) through the whole
// MiAuth flow of a running bridge, for tests/browser.rs:
//   node browser_miauth.mjs BRIDGE_URL APP_URL SESSION SCREENSHOT_PATH
// 1. opens BRIDGE/miauth/SESSION (an app's login link) and saves a screenshot of the page;
// 2. approves, picks alice on the simulated pnut's authorize page and approves there;
// 3. lands on APP/callback?session=SESSION (another origin), where the page's own fetch()
//    calls POST /api/miauth/SESSION/check and then POST /api/i with the token (a CORS
//    preflight: JSON body + Authorization), and opens /streaming with it (main channel);
// 4. prints one line `RESULT {json}` and exits 0; any failure exits 1 with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [bridge, app, session, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const profile = mkdtempSync(join(tmpdir(), 'pnutkey-chromium-'));
const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let context;
try {
  context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15000);
  const link = `${bridge}/miauth/${session}?name=${encodeURIComponent('Browser App')}`
    + `&callback=${encodeURIComponent(`${app}/callback`)}&permission=read:account,write:notes`;
  await page.goto(link);
  const title = await page.textContent('#title');
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.click('#approve');
  await page.waitForURL((url) => url.pathname === '/oauth/authenticate');
  await page.click('#allow');
  await page.waitForURL((url) => url.href.startsWith(`${app}/callback`));
  const landed = page.url();
  const result = await page.evaluate(async ({ bridge, session }) => {
    const check = await (await fetch(`${bridge}/api/miauth/${session}/check`, { method: 'POST' })).json();
    const answer = await fetch(`${bridge}/api/i`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${check.token}` },
      body: '{}',
    });
    const me = await answer.json();
    const streaming = await new Promise((resolve) => {
      const ws = new WebSocket(`${bridge.replace(/^http/, 'ws')}/streaming?i=${check.token}`);
      const timer = setTimeout(() => resolve('timeout'), 10000);
      ws.onopen = () => ws.send(JSON.stringify({
        type: 'connect', body: { channel: 'main', id: 'b1', params: {}, pong: true },
      }));
      ws.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === 'connected') { clearTimeout(timer); ws.close(); resolve(frame.body.id); }
      };
      ws.onerror = () => { clearTimeout(timer); resolve('error'); };
    });
    return { check, status: answer.status, me, streaming, origin: location.origin };
  }, { bridge, session });
  console.log(`RESULT ${JSON.stringify({ title, landed, ...result })}`);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(0);
} catch (error) {
  console.error(`browser_miauth: ${error?.stack ?? error}`);
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}
