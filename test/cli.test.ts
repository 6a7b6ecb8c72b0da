import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('cdk synth from the command line', () => {
  it('synthesizes both stacks offline, with no AWS credentials and no lookups', () => {
    // Prepare: an environment with every AWS credential source removed.
    const outdir = mkdtempSync(join(tmpdir(), 'vod-cli-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    Object.assign(env, {
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    });

    // Act
    execFileSync('npx', ['cdk', 'synth', '--all', '--quiet', '--output', outdir], {
      cwd: join(__dirname, '..'),
      env,
      stdio: 'pipe',
      timeout: 120_000,
    });

    // Assess
    expect(existsSync(join(outdir, 'VodEdge.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'VodPlatform.template.json'))).toBe(true);
  });
});
