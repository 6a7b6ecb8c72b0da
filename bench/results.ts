import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every benchmark writes its own `## ` section of this file and leaves the others as they are. */
export const RESULTS_FILE = join(__dirname, 'RESULTS.md');
const TITLE = '# Benchmark results';

/**
 * Replaces the section whose heading is `heading` (a `## ` line), or appends it. Benchmarks may
 * run at once, so the read and the write happen under a lock file, and the new text replaces the
 * old by a rename: no run loses another's section, and no reader sees half a file.
 */
export function writeResultsSection(heading: string, lines: readonly string[], file = RESULTS_FILE): void {
  withLock(`${file}.lock`, () => replaceSection(file, heading, lines));
}

function replaceSection(file: string, heading: string, lines: readonly string[]): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `${TITLE}\n\n`;
  const sections = text.split(/^(?=## )/m);
  const head = sections[0]?.startsWith('## ') ? `${TITLE}\n\n` : (sections.shift() ?? `${TITLE}\n\n`);
  const section = `${[heading, ...lines].join('\n').trimEnd()}\n\n`;
  const index = sections.findIndex((existing) => existing.startsWith(`${heading}\n`));
  if (index === -1) sections.push(section);
  else sections[index] = section;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${head}${sections.join('')}`.trimEnd().concat('\n'));
  renameSync(temporary, file);
}

/** A lock older than this was left by a run that died holding it. */
const STALE_LOCK_MS = 30_000;

function withLock(lockFile: string, work: () => void): void {
  const waitUntil = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age: number;
      try {
        age = Date.now() - statSync(lockFile).mtimeMs;
      } catch {
        continue; // released in between: try again
      }
      if (age > STALE_LOCK_MS || Date.now() > waitUntil) rmSync(lockFile, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/** The middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
