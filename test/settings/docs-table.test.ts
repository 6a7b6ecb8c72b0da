import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTING_NAMES } from '../../lib/settings/schema';
import { settingsTable, TABLE_END, TABLE_START, withSettingsTable } from '../../lib/settings/table';

const file = join(__dirname, '..', '..', 'docs', 'configuration.md');

test('the committed settings table in docs/configuration.md is the one the schema generates (run npm run docs:settings after a change)', () => {
  // Prepare
  const committed = readFileSync(file, 'utf8');

  // Act
  const generated = withSettingsTable(committed);

  // Assess
  expect(committed).toBe(generated);
});

test('the table has one row per setting, in schema order, and keeps the text around the markers', () => {
  // Prepare
  const markdown = `# Title\n\nbefore\n\n${TABLE_START}\nstale\n${TABLE_END}\n\nafter\n`;

  // Act
  const written = withSettingsTable(markdown);

  // Assess
  expect(written.startsWith(`# Title\n\nbefore\n\n${TABLE_START}\n`)).toBe(true);
  expect(written.endsWith(`\n${TABLE_END}\n\nafter\n`)).toBe(true);
  expect(written).not.toContain('stale');
  const rows = settingsTable()
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  expect(rows.map((line) => line.split('`')[1])).toEqual(SETTING_NAMES);
});

test('a file without the markers is refused rather than left without its table', () => {
  expect(() => withSettingsTable('# Configuration\n')).toThrow(TABLE_START);
});
