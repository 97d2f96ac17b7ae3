/**
 * Parses upstream checksum files. Three shapes occur among the pinned tools:
 *   "<hex>"                      kubectl.sha256, helm .sha256
 *   "<hex> <name>"               Istio .sha256 (release-builder writes one space)
 *   "<hex>  <name>" per line     kind .sha256sum, helm .sha256sum, GoReleaser checksums.txt
 * `sha256sum -b` output marks names with a leading '*'; that is accepted too.
 */
const line = /^([0-9a-fA-F]{64})(?:\s+\*?(.+?))?\s*$/;

export class ChecksumFormatError extends Error {}

export function parseChecksumFile(text: string, fileName: string): string {
  const entries = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = line.exec(l);
      if (!m) throw new ChecksumFormatError(`unrecognised checksum line: ${l.slice(0, 80)}`);
      return { hex: (m[1] as string).toLowerCase(), name: m[2] };
    });
  if (entries.length === 0) throw new ChecksumFormatError('checksum file is empty');
  const only = entries[0];
  // A lone bare hash belongs to the file it sits beside.
  if (entries.length === 1 && only && only.name === undefined) return only.hex;
  const base = (n: string) => n.split('/').pop();
  const match = entries.find((e) => e.name !== undefined && base(e.name) === fileName);
  if (!match) {
    throw new ChecksumFormatError(`checksum file has no entry for ${fileName} (has: ${entries.map((e) => e.name ?? '<bare hash>').join(', ')})`);
  }
  return match.hex;
}
