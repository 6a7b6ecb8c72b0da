import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary directories a suite makes as it goes, removed together at the end. */
export function scratchDirectories() {
  const made: string[] = [];
  return {
    /** A new empty directory named after `name`. */
    make(name: string): string {
      const directory = mkdtempSync(join(tmpdir(), `vod-${name}-`));
      made.push(directory);
      return directory;
    },
    removeAll(): void {
      for (const directory of made.splice(0)) rmSync(directory, { recursive: true, force: true });
    },
  };
}
