import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';

/** The runbook, as the repository names it in citations. */
export const RUNBOOK_DOCUMENT = 'docs/runbook.md';

/** Where the runbook is read from at synth time: the one source of the alarms' instructions. */
export const RUNBOOK_PATH = join(__dirname, '..', RUNBOOK_DOCUMENT);

/** The runbook's sections that alarms point to, by their anchors (GitHub's heading slugs). */
export const RUNBOOK_SECTIONS = {
  api5xx: 'api-5xx-rate',
  lambdaErrors: 'lambda-errors',
  lambdaThrottles: 'lambda-throttles',
  mediaConvertFailures: 'failed-mediaconvert-jobs',
  cacheErrors: 'cache-errors',
  deadLetters: 'dead-letter-queues',
} as const;
export type RunbookSection = (typeof RUNBOOK_SECTIONS)[keyof typeof RUNBOOK_SECTIONS];

/**
 * CloudWatch refuses a longer AlarmDescription: "Length Constraints: Minimum length of 0. Maximum
 * length of 1024." (PutMetricAlarm, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html;
 * AWS::CloudWatch::Alarm passes it on as is).
 */
export const ALARM_DESCRIPTION_MAX_LENGTH = 1024;

/** One `## ` section of the runbook. */
export interface RunbookEntry {
  readonly title: string;
  readonly anchor: string;
  /** The items of its **What to do** list, each on one line. */
  readonly steps: readonly string[];
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to dashes. */
export function anchorOf(title: string): string {
  return title
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

/** The sections of a runbook written as docs/runbook.md is: `## Title`, then `**What to do**` and a list. */
export function parseRunbook(markdown: string): ReadonlyMap<string, RunbookEntry> {
  const sections = new Map<string, RunbookEntry>();
  let current: { title: string; steps: string[] } | undefined;
  let inSteps = false;
  const save = () => {
    if (current) sections.set(anchorOf(current.title), { ...current, anchor: anchorOf(current.title) });
  };
  for (const line of markdown.split(/\r?\n/)) {
    if (line.startsWith('## ')) {
      save();
      current = { title: line.slice(3).trim(), steps: [] };
      inSteps = false;
    } else if (/^\*\*[^*]+\*\*/.test(line)) {
      inSteps = line.trim().toLowerCase() === '**what to do**';
    } else if (current && inSteps && line.startsWith('- ')) {
      current.steps.push(line.slice(2).trim());
    } else if (current && inSteps && /^\s+\S/.test(line) && current.steps.length > 0) {
      // A list item continued on the next, indented line.
      current.steps.push(`${current.steps.pop()} ${line.trim()}`);
    }
  }
  save();
  return sections;
}

const parsed = new Map<string, ReadonlyMap<string, RunbookEntry>>();

/** The runbook section, read from the file once per synth; throws if it is missing or has no steps. */
export function runbookSection(anchor: string, path = RUNBOOK_PATH): RunbookEntry {
  let sections = parsed.get(path);
  if (!sections) {
    sections = parseRunbook(readFileSync(path, 'utf8'));
    parsed.set(path, sections);
  }
  const entry = sections.get(anchor);
  if (!entry) {
    throw new Error(
      `${RUNBOOK_DOCUMENT} has no section #${anchor} for an alarm to point to; its sections are ${[...sections.keys()].map((a) => `#${a}`).join(', ')}`,
    );
  }
  if (entry.steps.length === 0) {
    throw new Error(`${RUNBOOK_DOCUMENT} section "${entry.title}" has no **What to do** list for its alarm to carry`);
  }
  return entry;
}

/**
 * Checks an optional runbook URL: an absolute https URL without a fragment, since alarm
 * descriptions link to `<runbookUrl>#<section>`. `owner` names the construct in the message.
 */
export function checkRunbookUrl(owner: string, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (url.trim() === '') throw new Error(`${owner}: runbookUrl must not be empty, received ${JSON.stringify(url)}`);
  const refuse = () =>
    new Error(
      `${owner}: runbookUrl must be an absolute https:// URL without a #fragment (alarm descriptions link to <runbookUrl>#<section>), received ${JSON.stringify(url)}`,
    );
  if (Token.isUnresolved(url) || /\s/.test(url) || !URL.canParse(url)) throw refuse();
  const parsedUrl = new URL(url);
  if (parsedUrl.protocol !== 'https:' || url.includes('#')) throw refuse();
  return url;
}

export interface AlarmDescriptionOptions {
  /** What went wrong, in a sentence or two. */
  readonly summary: string;
  /** The runbook section the operator follows. */
  readonly section: RunbookSection;
  /**
   * Where the runbook is published (checked by `checkRunbookUrl`).
   * @default - no link: the description carries the section's name and steps only
   */
  readonly runbookUrl?: string;
  /** @default RUNBOOK_PATH */
  readonly runbookPath?: string;
}

/**
 * An alarm description that an operator can act on from the CloudWatch console alone: what went
 * wrong, the runbook section by name, its **What to do** steps, and a link to the section when
 * the runbook is published. Within CloudWatch's limit: whole steps are dropped from the end,
 * and the first step is cut at a word only if it alone does not fit; the summary, the section's
 * name and the link are never cut.
 */
export function alarmDescription(options: AlarmDescriptionOptions): string {
  const entry = runbookSection(options.section, options.runbookPath);
  const head = `${options.summary.trim()}\nWhat to do (${RUNBOOK_DOCUMENT}, "${entry.title}"):`;
  const link = options.runbookUrl ? `\nRunbook: ${options.runbookUrl}#${entry.anchor}` : '';
  let budget = ALARM_DESCRIPTION_MAX_LENGTH - head.length - link.length;
  const lines: string[] = [];
  for (const step of entry.steps) {
    const line = `\n- ${step}`;
    if (line.length <= budget) {
      lines.push(line);
      budget -= line.length;
    } else {
      const cut = lines.length === 0 ? cutAtWord(line, budget) : '';
      if (cut) lines.push(cut);
      break;
    }
  }
  const description = `${head}${lines.join('')}${link}`;
  if (lines.length === 0 || description.length > ALARM_DESCRIPTION_MAX_LENGTH) {
    throw new Error(
      `Alarm description for "${entry.title}" leaves no room for a step within ${ALARM_DESCRIPTION_MAX_LENGTH} characters; shorten the summary (${options.summary.length} characters)`,
    );
  }
  return description;
}

/** The text cut to at most `length` characters at a space, with an ellipsis; empty if nothing fits. */
function cutAtWord(text: string, length: number): string {
  if (length < 8) return '';
  const cut = text.slice(0, length - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > 3 ? cut.slice(0, space) : cut}…`;
}
