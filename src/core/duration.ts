/** Durations in lab files are strings like "500ms", "30s", "2m", "1h", "1m30s". */
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const partRe = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
export const durationPattern = /^(\d+(?:\.\d+)?(ms|s|m|h))+$/;

export function parseDuration(text: string): number {
  if (!durationPattern.test(text)) throw new Error(`"${text}" is not a duration (expected e.g. 500ms, 30s, 2m, 1h)`);
  let total = 0;
  for (const m of text.matchAll(partRe)) total += Number(m[1]) * (unitMs[m[2] as string] as number);
  return total;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}
