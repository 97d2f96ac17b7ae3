import { describe, expect, it } from 'vitest';
import { ChecksumFormatError, parseChecksumFile } from '../../../src/platform/tools/checksum.js';

const hex = 'a'.repeat(64);
const other = 'b'.repeat(64);

describe('parseChecksumFile', () => {
  it.each([
    ['bare hash (kubectl .sha256)', `${hex}\n`],
    ['hash and name, one space (Istio .sha256)', `${hex} istio-1.31.1-linux-amd64.tar.gz\n`],
    ['hash and name, two spaces (shasum)', `${hex}  istio-1.31.1-linux-amd64.tar.gz`],
    ['binary-mode marker', `${hex} *istio-1.31.1-linux-amd64.tar.gz`],
    ['upper-case hex, CRLF', `${hex.toUpperCase()}  istio-1.31.1-linux-amd64.tar.gz\r\n`],
  ])('reads %s', (_name, text) => {
    expect(parseChecksumFile(text, 'istio-1.31.1-linux-amd64.tar.gz')).toBe(hex);
  });

  it('picks the right line of a multi-entry file (GoReleaser checksums.txt)', () => {
    const text = [
      `${other}  cloud-provider-kind_0.11.1_darwin_arm64.tar.gz`,
      `${hex}  cloud-provider-kind_0.11.1_linux_amd64.tar.gz`,
      `${other}  cloud-provider-kind_0.11.1_linux_arm64.tar.gz`,
    ].join('\n');
    expect(parseChecksumFile(text, 'cloud-provider-kind_0.11.1_linux_amd64.tar.gz')).toBe(hex);
  });

  it('refuses a file without an entry for the artifact', () => {
    expect(() => parseChecksumFile(`${other}  something-else.tar.gz`, 'kind-linux-amd64')).toThrow(/no entry for kind-linux-amd64/);
  });

  it('refuses HTML from a captive portal', () => {
    expect(() => parseChecksumFile('<html><body>Please log in</body></html>', 'kind')).toThrow(ChecksumFormatError);
  });

  it('refuses an empty file', () => {
    expect(() => parseChecksumFile('\n\n', 'kind')).toThrow(/empty/);
  });
});
