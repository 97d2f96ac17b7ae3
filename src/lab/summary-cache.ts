/**
 * A small on-disk index of lab front matter, so `kindlab list` reads one JSON file instead of
 * loading a YAML parser (the `yaml` package alone costs about as much as starting Node). An entry
 * holds the front matter text it was made from and is used only for exactly that text: size and
 * modification time can stay the same while the content changes (an edit within the clock's
 * resolution, `cp -p`, `touch -r`), and a cached good entry must never hide a now-broken lab.
 * Anything else is parsed again with `yaml` and the index rewritten. Losing or corrupting the
 * index costs one slow listing, nothing more.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kindlabPaths } from '../core/paths.js';

interface Entry<T> {
  source: string;
  value: T;
}

const FORMAT = 2;

export class SummaryCache<T> {
  private entries: Record<string, Entry<T>> = {};
  private dirty = false;
  readonly file: string;

  constructor(env: Record<string, string | undefined>) {
    this.file = join(kindlabPaths(env).cache, 'lab-index.json');
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as { format?: number; entries?: Record<string, Entry<T>> };
      if (data.format === FORMAT && data.entries && typeof data.entries === 'object') this.entries = data.entries;
    } catch {
      // Missing or unreadable: start empty.
    }
  }

  /** The value cached for `path`, if it was made from exactly `source`. */
  get(path: string, source: string): T | undefined {
    const e = Object.hasOwn(this.entries, path) ? this.entries[path] : undefined;
    return e && e.source === source ? e.value : undefined;
  }

  set(path: string, source: string, value: T): void {
    this.entries[path] = { source, value };
    this.dirty = true;
  }

  /** Writes the index if anything changed; a failure to write (read-only home) is not an error. */
  save(): void {
    if (!this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, entries: this.entries }));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // The cache is an optimisation only.
    }
  }
}
