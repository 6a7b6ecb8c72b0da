import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
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
 * the given `vod` configuration overrides. Throws if a check reports an unacknowledged finding.
 */
export function synthesize(overrides: Record<string, unknown> = {}): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), 'vod-synth-'));
  // The CLI feeds cdk.json's context (feature flags included) to the app; do the same.
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const vod = createVodApp({ outdir, context: { ...cdkJson.context, [CONFIG_CONTEXT_KEY]: overrides } });
  const assembly = vod.app.synth();
  return {
    ...vod,
    edgeTemplate: Template.fromJSON(assembly.getStackArtifact(vod.edge.artifactId).template),
    platformTemplate: Template.fromJSON(assembly.getStackArtifact(vod.platform.artifactId).template),
    report: JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')),
  };
}

let defaultApp: SynthesizedApp | undefined;
/** The app with default configuration, synthesized once per test file. */
export function synthesizeDefault(): SynthesizedApp {
  defaultApp ??= synthesize();
  return defaultApp;
}
