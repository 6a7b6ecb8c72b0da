import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALARM_DESCRIPTION_MAX_LENGTH,
  alarmDescription,
  checkRunbookUrl,
  parseRunbook,
  RUNBOOK_SECTIONS,
  runbookSection,
} from '../../lib/runbook';

/** A runbook file with one section, `## Dead-letter queues`, whose steps are the given lines. */
function runbookWith(steps: readonly string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vod-runbook-')), 'runbook.md');
  const list = steps.map((step) => `- ${step}`).join('\n');
  writeFileSync(
    path,
    `# Runbook\n\n## Dead-letter queues\n\n**First checks**\n\n- Look.\n\n**What to do**\n\n${list}\n`,
  );
  return path;
}

const section = RUNBOOK_SECTIONS.deadLetters;

describe('alarm descriptions from the runbook', () => {
  it('reads each section’s title, GitHub anchor and What to do steps, continuation lines joined', () => {
    // Prepare
    const markdown = [
      '## API 5xx rate',
      '',
      '**First checks**',
      '',
      '- Not a step.',
      '',
      '**What to do**',
      '',
      '- Roll back: redeploy',
      '  the previous commit.',
      '- Check the `AWS` Health Dashboard.',
      '',
      '## Failed MediaConvert jobs',
    ].join('\n');

    // Act
    const sections = parseRunbook(markdown);

    // Assess
    expect([...sections.keys()]).toEqual(['api-5xx-rate', 'failed-mediaconvert-jobs']);
    expect(sections.get('api-5xx-rate')).toEqual({
      title: 'API 5xx rate',
      anchor: 'api-5xx-rate',
      steps: ['Roll back: redeploy the previous commit.', 'Check the `AWS` Health Dashboard.'],
    });
    expect(sections.get('failed-mediaconvert-jobs')?.steps).toEqual([]);
  });

  it('finds a section with steps in docs/runbook.md for every alarm', () => {
    for (const anchor of Object.values(RUNBOOK_SECTIONS)) {
      expect(runbookSection(anchor).steps.length).toBeGreaterThan(0);
    }
  });

  it('names the section and carries every step when they fit, linking only to a published runbook', () => {
    // Prepare
    const runbookPath = runbookWith(['Fix the cause.', 'Redrive.']);

    // Act
    const unlinked = alarmDescription({ summary: 'Dead letters wait.', section, runbookPath });
    const linked = alarmDescription({
      summary: 'Dead letters wait.',
      section,
      runbookPath,
      runbookUrl: 'https://wiki.example.com/runbook',
    });

    // Assess
    expect(unlinked).toBe(
      'Dead letters wait.\nWhat to do (docs/runbook.md, "Dead-letter queues"):\n- Fix the cause.\n- Redrive.',
    );
    expect(linked).toBe(`${unlinked}\nRunbook: https://wiki.example.com/runbook#dead-letter-queues`);
  });

  it('drops whole steps from the end to stay within CloudWatch’s 1024 characters, keeping the link', () => {
    // Prepare
    const step = (n: number) => `Step ${n}: ${'x'.repeat(250)}.`;
    const runbookPath = runbookWith([step(1), step(2), step(3), step(4)]);
    const runbookUrl = 'https://wiki.example.com/runbook';

    // Act
    const description = alarmDescription({ summary: 'Dead letters wait.', section, runbookPath, runbookUrl });

    // Assess
    expect(description.length).toBeLessThanOrEqual(ALARM_DESCRIPTION_MAX_LENGTH);
    expect(description).toContain(step(1));
    expect(description).toContain(step(3));
    expect(description).not.toContain('Step 4');
    expect(description.endsWith(`\nRunbook: ${runbookUrl}#dead-letter-queues`)).toBe(true);
  });

  it('cuts a first step too long to fit at a word, with an ellipsis', () => {
    // Prepare
    const runbookPath = runbookWith([`Redrive ${'the queue '.repeat(150)}now.`]);

    // Act
    const description = alarmDescription({ summary: 'Dead letters wait.', section, runbookPath });

    // Assess
    expect(description.length).toBeLessThanOrEqual(ALARM_DESCRIPTION_MAX_LENGTH);
    expect(description).toMatch(/\n- Redrive the queue (the queue )*the queue…$/);
  });

  it('refuses a summary that leaves no room for a step, rather than cutting it', () => {
    // Prepare
    const runbookPath = runbookWith(['Fix the cause.']);

    // Act and assess
    expect(() => alarmDescription({ summary: 'x'.repeat(1020), section, runbookPath })).toThrow(
      /leaves no room for a step within 1024 characters; shorten the summary \(1020 characters\)/,
    );
  });

  it('refuses an alarm whose section the runbook lacks, naming the sections it has', () => {
    // Prepare
    const runbookPath = runbookWith(['Fix the cause.']);

    // Act and assess
    expect(() => alarmDescription({ summary: 'Errors.', section: RUNBOOK_SECTIONS.api5xx, runbookPath })).toThrow(
      'docs/runbook.md has no section #api-5xx-rate for an alarm to point to; its sections are #dead-letter-queues',
    );
  });

  it.each([
    ['a relative path', 'docs/runbook.md'],
    ['plain http', 'http://wiki.example.com/runbook'],
    ['a fragment', 'https://wiki.example.com/runbook#top'],
    ['a space', 'https://wiki.example.com/run book'],
  ])('refuses a runbook URL with %s', (_what, url) => {
    expect(() => checkRunbookUrl('Owner', url)).toThrow(
      `Owner: runbookUrl must be an absolute https:// URL without a #fragment (alarm descriptions link to <runbookUrl>#<section>), received ${JSON.stringify(url)}`,
    );
  });

  it('accepts an absolute https runbook URL, and none', () => {
    expect(checkRunbookUrl('Owner', 'https://wiki.example.com/vod/runbook')).toBe(
      'https://wiki.example.com/vod/runbook',
    );
    expect(checkRunbookUrl('Owner', undefined)).toBeUndefined();
  });
});
