import './quiet-warnings';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CONFIG_CONTEXT_KEY, ConfigError, resolveConfig } from '../lib/config';
import { PROJECT_ROOT } from '../lib/project-root';
import { startTwin, type Twin, TwinStartError } from './twin';

/**
 * `npm start`: runs the local twin until Ctrl-C. Settings come from the environment (ports, data
 * folder, webhook receiver) and from `cdk.json`'s `vod` context, the same settings `cdk deploy`
 * uses, so the twin enforces the deployed limits.
 */

/** Tools the twin runs; the README's first command installs them. */
const REQUIRED_TOOLS = [
  { command: 'redis-server', standsInFor: 'ElastiCache (Valkey)' },
  { command: 'ffmpeg', standsInFor: 'MediaConvert' },
  { command: 'ffprobe', standsInFor: 'MediaConvert (output checks)' },
];

function port(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new TwinStartError(`${variable} must be a port number from 1 to 65535, received ${JSON.stringify(raw)}`);
  }
  return value;
}

function checkTools(): void {
  const missing = REQUIRED_TOOLS.filter(({ command }) => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    const list = missing.map(({ command, standsInFor }) => `${command} (stands in for ${standsInFor})`).join(', ');
    throw new TwinStartError(
      `Missing: ${list}. Install with: bash scripts/install-system-packages.sh (Debian), or your system's package manager.`,
    );
  }
}

/**
 * `cdk.json`'s `vod` settings, with `TWIN_SETTINGS` (a JSON object of the same settings) laid
 * over them for this run only, e.g. a higher rate limit for a load test. Both are validated as
 * `cdk deploy` validates them.
 */
function readConfig() {
  const cdk = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const deployed = (cdk.context?.[CONFIG_CONTEXT_KEY] ?? {}) as Record<string, unknown>;
  return resolveConfig({ ...deployed, ...settingsOverride() });
}

function settingsOverride(): Record<string, unknown> {
  const raw = process.env.TWIN_SETTINGS;
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new TwinStartError(`TWIN_SETTINGS must be a JSON object of vod settings, received ${JSON.stringify(raw)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TwinStartError(`TWIN_SETTINGS must be a JSON object of vod settings, received ${JSON.stringify(raw)}`);
  }
  return parsed as Record<string, unknown>;
}

const time = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => process.stdout.write(`${time()} ${line}\n`);

async function main(): Promise<void> {
  const started = performance.now();
  checkTools();
  const config = readConfig();
  const dataDirectory = resolve(process.env.TWIN_DATA_DIR || join(PROJECT_ROOT, '.twin-data'));
  const webhookUrl = process.env.WEBHOOK_URL || undefined;
  const twin: Twin = await startTwin({
    apiPort: port('API_PORT', 3000),
    cdnPort: port('CDN_PORT', 3001),
    dataDirectory,
    config,
    webhookUrl,
    handlerLogLevel: process.env.TWIN_HANDLER_LOG_LEVEL,
    log,
  });
  const relativePath = relative(process.cwd(), dataDirectory);
  const shown = relativePath === '' ? '.' : relativePath.startsWith('..') ? dataDirectory : relativePath;
  const { endpoints } = twin;
  process.stdout.write(
    [
      `The VOD twin is ready in ${((performance.now() - started) / 1000).toFixed(1)} s, on loopback only.`,
      `  Web page   ${endpoints.api}/`,
      `  API        ${endpoints.api}   (POST /dev/tokens {"sub":"alice"} signs in as alice)`,
      `  CDN edge   ${endpoints.cdn}`,
      `  DynamoDB   ${endpoints.dynamodb}   S3 ${endpoints.s3}   SQS ${endpoints.sqs}   Valkey ${endpoints.valkey}`,
      webhookUrl
        ? `  Webhooks   ${webhookUrl}, signed with the webhookSecret in ${join(shown, 'state.json')}`
        : '  Webhooks   off (set WEBHOOK_URL to receive signed events)',
      `  Data       ${shown} (kept across restarts; delete it to start afresh)`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stdout.write('Stopping at once.\n');
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the twin…\n`);
    twin
      .close()
      .then(() => {
        process.stdout.write('Stopped.\n');
        process.exit(0);
      })
      .catch((error) => {
        process.stderr.write(`Stopping failed: ${error}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
  if (error instanceof TwinStartError || error instanceof ConfigError) {
    process.stderr.write(`Cannot start the twin: ${error.message}\n`);
  } else {
    process.stderr.write(`Cannot start the twin: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  }
  process.exit(1);
});
