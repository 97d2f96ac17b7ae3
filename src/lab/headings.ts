/** Step titles and ids from `## ` headings. */

export const stepIdPattern = /^[a-z0-9][a-z0-9-]*$/;

export interface HeadingParts {
  title: string;
  /** From a trailing `{#id}`; undefined when absent. */
  explicitId: string | undefined;
}

/** "Scale it out {#scale}" → title "Scale it out", explicitId "scale". */
export function splitHeading(text: string): HeadingParts {
  const m = /\s*\{#([^}]*)\}\s*$/.exec(text);
  const raw = m ? text.slice(0, m.index) : text;
  return { title: plainText(raw).trim(), explicitId: m ? (m[1] ?? '').trim() : undefined };
}

/** Inline Markdown reduced to what a terminal list shows: `code`, **bold**, [text](url) → text. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|\W)[*_](.+?)[*_](?=\W|$)/g, '$1$2')
    .replace(/\s+/g, ' ');
}

/** "Expose it: a LoadBalancer Service!" → "expose-it-a-loadbalancer-service". */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 48)
    .replace(/-+$/, '');
}
