import { join } from 'node:path';

/**
 * The repository root: handlers are bundled from it with its lock file, and the twin is started
 * in it. A module of its own so that the twin's harness can have it without loading the CDK.
 */
export const PROJECT_ROOT = join(__dirname, '..');
