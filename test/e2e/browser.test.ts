import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { planUpload } from '../../lambda/core/upload-plan';
import { makeClip } from '../../local/harness/clips';
import { startTwinProcess, type TwinProcess } from '../../local/harness/twin-process';

/**
 * The twin's web page in Debian's Chromium (never a downloaded browser): sign in, upload a clip
 * in parts with progress, wait for it to be ready, and play it through the edge with hls.js; and
 * resume an upload that failed part-way, after a reload, by picking the same file again.
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

/** Waits until the page's progress bar shows every byte sent. */
const progressBarFull = (page: Page) =>
  page.waitForFunction(
    () => {
      const progress = (globalThis as unknown as BrowserWindow).document.querySelector('#progress');
      return progress !== null && progress.max > 0 && progress.value >= progress.max;
    },
    undefined,
    { timeout: 60_000 },
  );

/** Waits until the player has played more than a second. */
const playerPastOneSecond = (page: Page) =>
  page.waitForFunction(
    () => ((globalThis as unknown as BrowserWindow).document.querySelector('video#player')?.currentTime ?? 0) > 1,
    undefined,
    { timeout: 60_000 },
  );

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
  await progressBarFull(page);
  const item = page.locator('#videos [data-status="READY"]').filter({ hasText: 'Holiday' });
  await item.waitFor({ timeout: 120_000 });
  await item.locator('button.play').click();
  await playerPastOneSecond(page);

  // Assess
  const player = await page.evaluate(() => {
    const video = (globalThis as unknown as BrowserWindow).document.querySelector('video#player');
    return { currentTime: video?.currentTime ?? 0, width: video?.videoWidth ?? 0 };
  });
  expect(player.currentTime).toBeGreaterThan(1);
  expect(player.width).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
});

/** The part number of a presigned UploadPart URL (the page PUTs parts straight to S3), if it is one. */
function partNumberOf(url: string | URL): number | undefined {
  const { searchParams } = new URL(url);
  const partNumber = Number(searchParams.get('partNumber'));
  return searchParams.has('uploadId') && Number.isInteger(partNumber) && partNumber > 0 ? partNumber : undefined;
}

it('resumes an upload after a reload: it sends only the missing parts, and the video plays', async () => {
  // Prepare: a clip of at least three parts, as a real file so that its last-modified time is the
  // same both times it is picked; parts 1 and 2 go through, every later part is cut off.
  const clip = await makeClip({ width: 640, height: 360, seconds: 8, bitrateKbps: 25_000 });
  const { partCount } = planUpload(clip.length);
  expect(partCount).toBeGreaterThanOrEqual(3);
  const folder = mkdtempSync(join(tmpdir(), 'vod-resume-'));
  const file = join(folder, 'long-trip.mp4');
  writeFileSync(file, clip);
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const stored = new Set<number>();
  let firstTwoStored: () => void = () => {};
  const firstTwo = new Promise<void>((resolve) => {
    firstTwoStored = resolve;
  });
  page.on('response', (response) => {
    const partNumber = partNumberOf(response.url());
    if (response.request().method() !== 'PUT' || partNumber === undefined || !response.ok()) return;
    stored.add(partNumber);
    if (stored.has(1) && stored.has(2)) firstTwoStored();
  });
  const afterTheSecondPart = (url: URL) => (partNumberOf(url) ?? 0) > 2;
  await page.route(afterTheSecondPart, async (route) => {
    if (route.request().method() !== 'PUT') return route.continue(); // the CORS preflight
    await firstTwo;
    await route.abort('connectionreset');
  });

  try {
    await page.goto(`${twin.apiUrl}/`);
    await page.fill('#name', 'dave');
    await page.click('#sign-in');
    await page.setInputFiles('#file', file);
    await page.fill('#title', 'Long trip');
    await page.click('#upload');
    await page.locator('#status', { hasText: 'You can resume it below.' }).waitFor({ timeout: 60_000 });
    const videoId = await page.locator('#pending > li[data-video-id]').getAttribute('data-video-id');
    const storedBeforeReload = [...stored].sort((a, b) => a - b);

    // Act: reload, pick the same file again on the unfinished upload, wait for READY, play.
    await page.reload();
    const pending = page.locator(`#pending > li[data-video-id="${videoId}"]`);
    await pending.waitFor({ timeout: 30_000 });
    await page.unroute(afterTheSecondPart);
    const partsPut: number[] = [];
    page.on('request', (request) => {
      const partNumber = partNumberOf(request.url());
      if (request.method() === 'PUT' && partNumber !== undefined) partsPut.push(partNumber);
    });
    await pending.locator('input.resume-file').setInputFiles(file);
    await progressBarFull(page);
    const item = page.locator(`#videos > li[data-video-id="${videoId}"][data-status="READY"]`);
    await item.waitFor({ timeout: 120_000 });
    await item.locator('button.play').click();
    await playerPastOneSecond(page);

    // Assess
    const missing = Array.from({ length: partCount - 2 }, (_, index) => index + 3);
    expect(storedBeforeReload).toEqual([1, 2]);
    expect(partsPut.sort((a, b) => a - b)).toEqual(missing);
    expect(await page.locator('#pending > li').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  } finally {
    await context.close();
    rmSync(folder, { recursive: true, force: true });
  }
});
