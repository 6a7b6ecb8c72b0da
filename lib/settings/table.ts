import * as z from 'zod';
import { CROSS_FIELD_RULES } from './rules';
import { SETTING_DOCS, SETTING_FIELDS, SETTING_NAMES } from './schema';
import { expectedOf } from './values';

/** The docs table of every setting, generated from the schema into docs/configuration.md. */

export const TABLE_START = '<!-- settings-table:start -->';
export const TABLE_END = '<!-- settings-table:end -->';

const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
const cell = (text: string): string => text.replaceAll('|', '\\|');

function row(name: (typeof SETTING_NAMES)[number]): string[] {
  const field: z.ZodType = SETTING_FIELDS[name];
  const doc = SETTING_DOCS.get(field);
  if (!doc) throw new Error(`setting ${name} has no description`);
  const fallback =
    field instanceof z.ZodDefault
      ? `${code(field.def.defaultValue)}${doc.defaultNote ? ` (${doc.defaultNote})` : ''}`
      : `unset: ${doc.unset ?? 'none'}`;
  const description = doc.why ? `${doc.description} ${doc.why}` : doc.description;
  return [code(name), fallback, expectedOf(field), description].map(cell);
}

/** A Markdown table, unpadded: a changed setting changes its own row only. */
function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function settingsTable(): string {
  return [
    '<!-- Generated from lib/settings/schema.ts by `npm run docs:settings`: edit the schema, not this table. -->',
    '',
    markdownTable(['setting', 'default', 'allowed', 'what it does'], SETTING_NAMES.map(row)),
    '',
    'Rules between settings, checked once each setting is valid:',
    '',
    ...CROSS_FIELD_RULES.map((rule) => `- ${rule.rule}`),
  ].join('\n');
}

/** `markdown` with the text between the table markers replaced by the generated table. */
export function withSettingsTable(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`no ${TABLE_START} … ${TABLE_END} markers to write the table between`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${markdown.slice(end)}`;
}
