import * as z from 'zod';
import { invalidInput } from './errors';
import type { PageCursor } from './ports';
import { VideoIdSchema } from './schemas';

/**
 * Page cursors are opaque to clients: base64url JSON of the last item's id and creation time.
 * Nothing in a cursor names an owner: the catalog always pages within the caller's own videos,
 * so a forged cursor can at most skip around them.
 */

const CursorSchema = z.strictObject({ id: VideoIdSchema, createdAt: z.iso.datetime() });

export const encodeCursor = (cursor: PageCursor): string =>
  Buffer.from(JSON.stringify({ id: cursor.id, createdAt: cursor.createdAt })).toString('base64url');

export function decodeCursor(text: string): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidInput('cursor is not one this API gave out');
  }
  const result = CursorSchema.safeParse(parsed);
  if (!result.success) throw invalidInput('cursor is not one this API gave out');
  return result.data;
}
