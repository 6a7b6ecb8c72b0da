import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { createVodApp, type VodApp } from '../../lib/app';
import { CONFIG_CONTEXT_KEY } from '../../lib/config';

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: 'success' | 'failure';
    violations: unknown[];
    suppressedViolations?: { ruleName: string; acknowledgedId: string; reason: string }[];
  }[];
}

export interface SynthesizedApp extends VodApp {
  readonly edgeTemplate: Template;
  readonly platformTemplate: Template;
  readonly report: ValidationReport;
}

/**
 * Synthesizes the whole app once, exactly as `cdk synth` does (nag and guard included), with
 * the given `vod` configuration overrides, except that the Lambda handlers are not bundled (see
 * `createAppAsCli`). Throws if a check reports an unacknowledged finding.
 */
export function synthesize(overrides: Record<string, unknown> = {}): SynthesizedApp {
  const { vod, outdir } = createAppAsCli(overrides);
  const assembly = vod.app.synth();
  return {
    ...vod,
    edgeTemplate: Template.fromJSON(assembly.getStackArtifact(vod.edge.artifactId).template),
    platformTemplate: Template.fromJSON(assembly.getStackArtifact(vod.platform.artifactId).template),
    report: JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')),
  };
}

/**
 * cfn-guard's findings per template, kept across test files and runs: many files synthesize the
 * same default app, and a template checked once need not be checked again (the key covers the
 * template, the rules and the validator's version).
 */
const GUARD_CACHE = join(__dirname, '..', '..', 'node_modules', '.cache', 'vod-cfn-guard');

/**
 * Builds the app as `cdk synth` would, with cdk.json's context (feature flags included) and the
 * given `vod` overrides, writing into a fresh folder. Nothing is synthesized yet.
 *
 * Bundling the API handlers with esbuild in every test's synth would be slow, so no stack bundles
 * (`aws:cdk:bundling-stacks` empty: assets point at the source folder). The CLI test bundles for real.
 */
export function createAppAsCli(overrides: Record<string, unknown> = {}): { vod: VodApp; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'vod-synth-'));
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const context = { ...cdkJson.context, [CONFIG_CONTEXT_KEY]: overrides, [BUNDLING_STACKS]: [] };
  return { vod: createVodApp({ outdir, context }, { cacheDirectory: GUARD_CACHE }), outdir };
}

let defaultApp: SynthesizedApp | undefined;
/** The app with default configuration, synthesized once per test file. */
export function synthesizeDefault(): SynthesizedApp {
  defaultApp ??= synthesize();
  return defaultApp;
}
