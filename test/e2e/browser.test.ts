import { execFileSync } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';
import { makeClip } from '../support/clips';
import { startTwinProcess, type TwinProcess } from '../support/twin-process';

/**
 * The twin's web page in Debian's Chromium (never a downloaded browser): sign in, upload a clip
 * in parts with progress, wait for it to be ready, and play it through the edge with hls.js.
 */

jest.setTimeout(180_000);

/** Nothing but loopback: every other host name fails to resolve. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

/**
 * The little of the DOM these checks read. The project's types describe Node, and functions
 * (not strings) must be passed to the page: its Content-Security-Policy forbids eval.
 */
interface BrowserWindow {
  document: {
    querySelector(selector: string): { max: number; value: number; currentTime: number; videoWidth: number } | null;
  };
}

let twin: TwinProcess;
let browser: Browser;

beforeAll(async () => {
  [twin, browser] = await Promise.all([
    startTwinProcess(),
    chromium.launch({
      executablePath: execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
      args: CHROMIUM_ARGS,
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await twin?.dispose();
});

it('uploads a file from the page and plays it: the player’s current time advances', async () => {
  // Prepare: 10 MB, so the page uploads two parts.
  const clip = await makeClip({ width: 640, height: 360, seconds: 6, bitrateKbps: 14_000 });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${twin.apiUrl}/`);

  // Act: sign in, upload, wait for READY, play.
  await page.fill('#name', 'carol');
  await page.click('#sign-in');
  await page.setInputFiles('#file', { name: 'holiday.mp4', mimeType: 'video/mp4', buffer: clip });
  await page.fill('#title', 'Holiday');
  await page.click('#upload');
  await page.waitForFunction(
    () => {
      const progress = (globalThis as unknown as BrowserWindow).document.querySelector('#progress');
      return progress !== null && progress.max > 0 && progress.value >= progress.max;
    },
    undefined,
    { timeout: 60_000 },
  );
  const item = page.locator('#videos [data-status="READY"]').filter({ hasText: 'Holiday' });
  await item.waitFor({ timeout: 120_000 });
  await item.locator('button.play').click();
  await page.waitForFunction(
    () => ((globalThis as unknown as BrowserWindow).document.querySelector('video#player')?.currentTime ?? 0) > 1,
    undefined,
    { timeout: 60_000 },
  );

  // Assess
  const player = await page.evaluate(() => {
    const video = (globalThis as unknown as BrowserWindow).document.querySelector('video#player');
    return { currentTime: video?.currentTime ?? 0, width: video?.videoWidth ?? 0 };
  });
  expect(player.currentTime).toBeGreaterThan(1);
  expect(player.width).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
});
