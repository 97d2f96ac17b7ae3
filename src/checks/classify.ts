/**
 * Putting each response of a sample in a class: the first class whose regular expression matches
 * the chosen source (body, status, a header, a JSON field) wins. Responses matching no class and
 * requests without a response get classes of their own, which the traffic check expects at 0.
 */
import type { CheckSpecOf } from '../model/check-schema.js';
import { regex } from './format.js';
import { lookupPath, valueText } from './paths.js';
import type { Sample } from './sampler.js';
import { gotResponse } from './request.js';

export const unclassified = '(unclassified)';
export const noResponse = '(no response)';

type Classify = CheckSpecOf<'traffic'>['classify'];

export function makeClassifier(c: Classify): (s: Sample) => string {
  const classes = Object.entries(c.classes).map(([name, pattern]) => ({ name, re: regex(pattern, `classify.classes.${name}`) }));
  const source = c.source;
  const read = (s: Sample): string | undefined => {
    if (source === 'body') return s.body;
    if (source === 'status') return String(s.status);
    if (source.startsWith('header:')) return s.headers[source.slice(7).toLowerCase()] ?? '';
    let json: unknown;
    try {
      json = JSON.parse(s.body);
    } catch {
      return undefined;
    }
    const found = lookupPath(json, source.slice(5));
    return found.found ? valueText(found.value) : '';
  };
  return (s) => {
    if (!gotResponse(s)) return noResponse;
    const text = read(s);
    if (text === undefined) return unclassified;
    return classes.find((k) => k.re.test(text))?.name ?? unclassified;
  };
}
