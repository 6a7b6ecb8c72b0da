/**
 * The local twin as a newcomer meets it: how long `npm start` takes to be ready, and how long a
 * 20 s 1080p clip takes from the end of its upload to being playable through the edge.
 *
 * Run with `npm run bench:twin`; writes its section of bench/RESULTS.md. Every number comes from
 * this one run on this machine, the twin started exactly as the README starts it.
 */
import { cpus } from 'node:os';
import { makeClip } from '../local/harness/clips';
import {
  api,
  signIn,
  startTwinProcess,
  type TwinProcess,
  uploadVideo,
  waitUntilFinished,
} from '../local/harness/twin-process';
import { median, writeResultsSection } from './results';
import { runMain } from './run-main';

const STARTS = 5;
const PIPELINE_RUNS = 3;
const CLIP = { width: 1920, height: 1080, seconds: 20 } as const;

const seconds = (value: number) => value.toFixed(2);

/** Polls until the master playlist and the first segment of the top rung answer 200 through the edge. */
async function waitUntilPlayable(twin: TwinProcess, token: string, id: string): Promise<void> {
  for (;;) {
    const playback = await api(twin.apiUrl, 'GET', `/videos/${id}/playback`, { token });
    if (playback.status === 200) {
      const master = await fetch(playback.body.hls);
      const text = await master.text();
      const variant = text.split('\n').find((line) => line.endsWith('.m3u8'));
      if (master.status === 200 && variant) {
        const variantUrl = new URL(variant, playback.body.hls);
        const segment = (await (await fetch(variantUrl)).text()).split('\n').find((line) => line.endsWith('.ts'));
        if (segment && (await fetch(new URL(segment, variantUrl))).status === 200) return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(): Promise<void> {
  // Start-up: a fresh data folder each time (the first start of a checkout), then restarts of one.
  const freshStarts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const twin = await startTwinProcess();
    freshStarts.push(twin.secondsToReady);
    await twin.dispose();
  }
  const first = await startTwinProcess();
  await first.interrupt();
  const restarts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const twin = await startTwinProcess({ dataDirectory: first.dataDirectory });
    restarts.push(twin.secondsToReady);
    await twin.interrupt();
  }

  // Upload to playable.
  const clip = await makeClip({ ...CLIP, audio: true });
  const twin = await startTwinProcess({ dataDirectory: first.dataDirectory });
  const token = await signIn(twin.apiUrl, 'bench');
  const runs: { upload: number; ready: number; playable: number; parts: number }[] = [];
  try {
    for (let i = 0; i < PIPELINE_RUNS; i++) {
      const started = performance.now();
      const video = await uploadVideo(twin.apiUrl, token, clip, { title: `Bench ${i + 1}` });
      const uploaded = performance.now();
      const ready = await waitUntilFinished(twin.apiUrl, token, video.id, 300_000);
      if (ready.status !== 'READY') throw new Error(`video ${video.id} ended ${ready.status}: ${ready.error}`);
      const readyAt = performance.now();
      await waitUntilPlayable(twin, token, video.id);
      const playableAt = performance.now();
      runs.push({
        upload: (uploaded - started) / 1000,
        ready: (readyAt - uploaded) / 1000,
        playable: (playableAt - uploaded) / 1000,
        parts: video.parts,
      });
    }
  } finally {
    await twin.dispose();
  }

  const lines = [
    '',
    'Reproduce with `npm run bench:twin` (writes this section). The twin is started as the README',
    'starts it (`npm start`, dependencies already installed), each time on new loopback ports.',
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.`,
    '',
    `### From \`npm start\` to the ready line (${STARTS} starts each, seconds)`,
    '',
    '| data folder | median | min | max |',
    '| --- | --- | --- | --- |',
    `| new | ${seconds(median(freshStarts))} | ${seconds(Math.min(...freshStarts))} | ${seconds(Math.max(...freshStarts))} |`,
    `| kept from an earlier run | ${seconds(median(restarts))} | ${seconds(Math.min(...restarts))} | ${seconds(Math.max(...restarts))} |`,
    '',
    `### A ${CLIP.seconds} s ${CLIP.height}p clip with audio, ${(clip.length / 1024 ** 2).toFixed(1)} MiB in ${runs[0]?.parts} parts (${PIPELINE_RUNS} runs, seconds)`,
    '',
    'Measured from the moment `POST /videos/{id}/upload/complete` answered: READY is the API',
    "reporting it, playable is the master playlist and the top rung's first segment answering 200",
    'through the edge. ffmpeg makes 4 HLS rungs (1080p to 360p), the 540p MP4 and the thumbnails',
    'in one pass.',
    '',
    '| run | upload | to READY | to playable |',
    '| --- | --- | --- | --- |',
    ...runs.map(
      (run, index) => `| ${index + 1} | ${seconds(run.upload)} | ${seconds(run.ready)} | ${seconds(run.playable)} |`,
    ),
    `| median | ${seconds(median(runs.map((run) => run.upload)))} | ${seconds(median(runs.map((run) => run.ready)))} | ${seconds(median(runs.map((run) => run.playable)))} |`,
    '',
    `To READY is ${(median(runs.map((run) => run.ready)) / CLIP.seconds).toFixed(2)} times the clip's duration on this machine.`,
  ];
  writeResultsSection('## Local twin: start-up, and upload to playable', lines);
  console.log(lines.join('\n'));
}

runMain(main, { exitWhenDone: true });
