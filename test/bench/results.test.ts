import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeResultsSection } from '../../bench/results';

const RESULTS_MODULE = join(__dirname, '..', '..', 'bench', 'results.ts');

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'vod-results-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** A benchmark process that writes `count` sections of its own, one after another (each a 40-row table). */
function writer(file: string, name: string, count: number): Promise<void> {
  const script = `
    const { writeResultsSection } = require(${JSON.stringify(RESULTS_MODULE)});
    for (let index = 0; index < ${count}; index++)
      writeResultsSection('## ${name} ' + index, ['', ...Array.from({ length: 40 }, (_, row) => '| figure | ' + row + ' |')], ${JSON.stringify(file)});
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer ${name} exited ${code}: ${stderr}`)),
    );
  });
}

describe('the benchmark results file', () => {
  it('replaces a section in place and keeps the others', () => {
    // Prepare
    const file = join(folder, 'RESULTS.md');
    writeResultsSection('## First', ['', 'one'], file);
    writeResultsSection('## Second', ['', 'two'], file);

    // Act
    writeResultsSection('## First', ['', 'one, measured again'], file);

    // Assess
    expect(readFileSync(file, 'utf8')).toBe(
      '# Benchmark results\n\n## First\n\none, measured again\n\n## Second\n\ntwo\n',
    );
  });

  it('keeps every section when several benchmarks write at once', async () => {
    // Prepare
    const file = join(folder, 'RESULTS.md');
    const writers = ['alpha', 'beta', 'gamma', 'delta'];
    const perWriter = 150;

    // Act
    await Promise.all(writers.map((name) => writer(file, name, perWriter)));

    // Assess
    const text = readFileSync(file, 'utf8');
    const headings = text.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toHaveLength(writers.length * perWriter);
    for (const name of writers)
      for (let index = 0; index < perWriter; index++) expect(headings).toContain(`## ${name} ${index}`);
    expect(text.startsWith('# Benchmark results\n\n## ')).toBe(true);
    expect(readdirSync(folder)).toEqual(['RESULTS.md']); // no lock or temporary file left behind
  }, 60_000);
});
