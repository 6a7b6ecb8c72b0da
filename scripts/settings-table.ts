import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSettingsTable } from '../lib/settings/table';

/** Writes the settings table of docs/configuration.md from the settings schema. */
const file = join(__dirname, '..', 'docs', 'configuration.md');
writeFileSync(file, withSettingsTable(readFileSync(file, 'utf8')));
