/** Numeric expectations ({eq, gt, gte, lt, lte}) and their wording in results. */

export interface Comparison {
  eq?: number | undefined;
  gt?: number | undefined;
  gte?: number | undefined;
  lt?: number | undefined;
  lte?: number | undefined;
}

export function compare(value: number, c: Comparison): boolean {
  if (Number.isNaN(value)) return false;
  if (c.eq !== undefined && value !== c.eq) return false;
  if (c.gt !== undefined && !(value > c.gt)) return false;
  if (c.gte !== undefined && !(value >= c.gte)) return false;
  if (c.lt !== undefined && !(value < c.lt)) return false;
  if (c.lte !== undefined && !(value <= c.lte)) return false;
  return true;
}

export function describeComparison(c: Comparison): string {
  const parts: string[] = [];
  if (c.eq !== undefined) parts.push(`= ${fmt(c.eq)}`);
  if (c.gt !== undefined) parts.push(`> ${fmt(c.gt)}`);
  if (c.gte !== undefined) parts.push(`≥ ${fmt(c.gte)}`);
  if (c.lt !== undefined) parts.push(`< ${fmt(c.lt)}`);
  if (c.lte !== undefined) parts.push(`≤ ${fmt(c.lte)}`);
  return parts.join(' and ');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
