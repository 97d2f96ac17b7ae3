/**
 * A small on-disk index of lab front matter, so `kindlab list` reads one JSON file instead of
 * loading a YAML parser (the `yaml` package alone costs about as much as starting Node). An entry
 * is trusted only while its lab.md has the same size and modification time; anything else is
 * parsed again with `yaml` and the index rewritten. Losing or corrupting the index costs one slow
 * listing, nothing more.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kindlabPaths } from '../core/paths.js';

interface Entry<T> {
  mtimeMs: number;
  size: number;
  value: T;
}

const FORMAT = 1;

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

  get(path: string, stat: { mtimeMs: number; size: number }): T | undefined {
    const e = this.entries[path];
    return e && e.mtimeMs === stat.mtimeMs && e.size === stat.size ? e.value : undefined;
  }

  set(path: string, stat: { mtimeMs: number; size: number }, value: T): void {
    this.entries[path] = { mtimeMs: stat.mtimeMs, size: stat.size, value };
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
