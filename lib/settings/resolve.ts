import type { Node } from 'constructs';
import type * as z from 'zod';
import { CONFIG_CONTEXT_KEY, type PlatformConfig, SETTINGS_SCHEMA } from './schema';

/** Thrown when configuration is not what the stack can deploy; the message says what to fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function configError(path: readonly PropertyKey[], expected: string, received: unknown): ConfigError {
  const field = path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  return new ConfigError(
    `Invalid config "${CONFIG_CONTEXT_KEY}${field}": expected ${expected}, received ${JSON.stringify(received)}`,
  );
}

/** The one issue to report: an unknown setting first (likely a typo), then the first in field order. */
function firstIssue(issues: readonly z.core.$ZodIssue[]): ConfigError {
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  const [key] = unknown?.keys ?? [];
  if (unknown && key !== undefined) return configError([key], unknown.message, key);
  const [issue] = issues;
  if (!issue) throw new Error('zod reported a failure without issues');
  return configError(issue.path, issue.message, issue.input);
}

/**
 * Merges overrides into the defaults and checks every setting, so that a typo fails the synth
 * with a message naming the field, instead of failing a deploy twenty minutes later. A string is
 * read as JSON, as `cdk -c vod='{…}'` passes it.
 */
export function resolveConfig(overrides: unknown = {}): PlatformConfig {
  if (typeof overrides === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(overrides);
    } catch {
      throw configError([], 'a JSON object', overrides);
    }
    return resolveConfig(parsed);
  }
  const result = SETTINGS_SCHEMA.safeParse(overrides, { reportInput: true });
  if (!result.success) throw firstIssue(result.error.issues);
  return result.data;
}

/** Every setting at its default. */
export const DEFAULT_CONFIG: PlatformConfig = resolveConfig({});

/** Reads the `vod` context of a construct tree (from `cdk.json` or `-c`) and resolves it. */
export function configFromContext(node: Node): PlatformConfig {
  return resolveConfig(node.tryGetContext(CONFIG_CONTEXT_KEY) ?? {});
}
