import { join } from 'node:path';

/**
 * Source files of the CloudFront Functions. They are deployed as they are, and the local twin
 * and the tests run the same files.
 */
export const PLAYBACK_TOKEN_FUNCTION_PATH = join(__dirname, 'verify-playback-token.js');
