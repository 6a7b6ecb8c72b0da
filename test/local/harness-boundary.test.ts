import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/**
 * The twin ships without its harness (local/harness: local servers, the twin as a process, clips
 * made with ffmpeg), which the tests and the benchmarks share; and no benchmark reaches into the tests.
 */

const ROOT = resolve(__dirname, '..', '..');

/** Every TypeScript or JavaScript module under `directory`, relative to the project root. */
function modulesUnder(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs|js)$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** The relative module specifiers a file imports, resolved from the project root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import|require)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)];
  return specifiers.map(([, specifier]) => relative(ROOT, resolve(ROOT, file, '..', specifier as string)));
}

describe('the harness boundary', () => {
  it('keeps every module of the twin outside local/harness from importing it', () => {
    const twin = modulesUnder('local').filter((file) => !file.startsWith(`local${sep}harness${sep}`));
    expect(twin.length).toBeGreaterThan(10);
    const offending = twin.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith(`local${sep}harness`))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('keeps the benchmarks from importing anything under test/', () => {
    const benches = modulesUnder('bench');
    expect(benches.length).toBeGreaterThan(0);
    const offending = benches.flatMap((file) =>
      importsOf(file)
        .filter((target) => target === 'test' || target.startsWith(`test${sep}`))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });
});
