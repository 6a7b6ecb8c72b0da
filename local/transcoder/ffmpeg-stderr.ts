/** Lines that say nothing about what went wrong. */
const NOISE = /^(Conversion failed!?|Exiting normally.*|Press \[q\].*)$/;

/**
 * What ffmpeg said went wrong, for a person: its last few distinct error lines (`-loglevel
 * error` keeps out the rest), each with the `[component @ 0x…]` prefix dropped, short.
 */
export function stderrSummary(stderr: string, maxLines = 3, maxLength = 400): string {
  const lines: string[] = [];
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim();
    if (line === '' || NOISE.test(line) || lines[lines.length - 1] === line) continue;
    lines.push(line);
  }
  const summary = lines.slice(-maxLines).join('; ');
  return summary.length > maxLength ? `${summary.slice(0, maxLength - 1)}…` : summary;
}
