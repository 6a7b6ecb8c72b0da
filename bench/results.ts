import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every benchmark writes its own `## ` section of this file and leaves the others as they are. */
export const RESULTS_FILE = join(__dirname, 'RESULTS.md');
const TITLE = '# Benchmark results';

/** Replaces the section whose heading is `heading` (a `## ` line), or appends it. */
export function writeResultsSection(heading: string, lines: readonly string[]): void {
  const text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : `${TITLE}\n`;
  const sections = text.split(/^(?=## )/m);
  const head = sections[0]?.startsWith('## ') ? `${TITLE}\n\n` : (sections.shift() ?? `${TITLE}\n\n`);
  const section = `${[heading, ...lines].join('\n').trimEnd()}\n\n`;
  const index = sections.findIndex((existing) => existing.startsWith(`${heading}\n`));
  if (index === -1) sections.push(section);
  else sections[index] = section;
  writeFileSync(RESULTS_FILE, `${head}${sections.join('')}`.trimEnd().concat('\n'));
}

/** The middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
