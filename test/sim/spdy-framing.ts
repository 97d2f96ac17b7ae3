/**
 * SPDY/3.1 framing, as kubectl's SPDY library (moby/spdystream, via k8s.io/apimachinery's
 * httpstream/spdy) puts it on the wire for port-forward and the exec fallback. Frame layouts and
 * the header dictionary are from the SPDY/3.1 draft (chromium.org/spdy/spdy-protocol/
 * spdy-protocol-draft3-1, sections 2.2, 2.6 and 2.6.10.1).
 *
 *   control frame: 1 | version(15) | type(16) | flags(8) | length(24) | payload
 *   data frame:    0 | stream-id(31)          | flags(8) | length(24) | payload
 *
 * Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are a count and length-prefixed name/value pairs,
 * deflated as ONE zlib stream per direction for the whole connection, with a preset dictionary and
 * a sync flush after each block.
 *
 * - Reading: `HeaderBlockReader` keeps every compressed block received so far and inflates the lot
 *   again for each new one (Z_SYNC_FLUSH, so the unfinished stream is not an error), taking the
 *   new tail. A connection carries a few header blocks per forwarded connection, so this stays
 *   small, and it keeps decoding synchronous (node:zlib has no synchronous streaming inflate).
 * - Writing: `HeaderBlockWriter` emits zlib "stored" (uncompressed) deflate blocks after a zlib
 *   header that names the dictionary, each block closed by a sync flush as a compressor's would
 *   be — a valid stream for any inflater, with no compressor state to keep in step.
 */
import { constants, inflateSync } from 'node:zlib';

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const Flag = { FIN: 0x01, UNIDIRECTIONAL: 0x02 } as const;

/** RST_STREAM status codes (draft 3.1, 2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
} as const;

/** The largest payload a frame's 24-bit length can carry. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

// ---------------------------------------------------------------- dictionary

/** Names the dictionary lists with a 4-byte length prefix each (draft 3.1, 2.6.10.1). */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];

/** The dictionary's unprefixed tail: status codes and phrases, dates, common values. */
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** The SPDY/3 zlib dictionary (1423 bytes). */
export const HEADER_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => [u32(w.length), Buffer.from(w, 'latin1')]),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// ---------------------------------------------------------------- header blocks

/** Header names are lowercase; several values of one name travel NUL-separated. */
export type SpdyHeaders = Record<string, string[]>;

export function encodeHeaderValues(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [u32(Object.keys(headers).length)];
  for (const [name, values] of Object.entries(headers)) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderValues(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let at = 0;
  const need = (n: number) => {
    if (at + n > block.length) throw new SpdyProtocolError('truncated header block');
  };
  need(4);
  const count = block.readUInt32BE(at);
  at += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nameLength = block.readUInt32BE(at);
    at += 4;
    need(nameLength);
    const name = block.subarray(at, at + nameLength).toString('utf8').toLowerCase();
    at += nameLength;
    need(4);
    const valueLength = block.readUInt32BE(at);
    at += 4;
    need(valueLength);
    const value = block.subarray(at, at + valueLength).toString('utf8');
    at += valueLength;
    headers[name] = [...(headers[name] ?? []), ...value.split('\0')];
  }
  return headers;
}

export class SpdyProtocolError extends Error {}

/** Decompresses the header blocks of one direction of a connection, in order. */
export class HeaderBlockReader {
  private compressed: Buffer[] = [];
  private inflatedLength = 0;

  read(compressedBlock: Buffer): SpdyHeaders {
    this.compressed.push(compressedBlock);
    let all: Buffer;
    try {
      all = inflateSync(Buffer.concat(this.compressed), { dictionary: HEADER_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new SpdyProtocolError(`cannot inflate header block: ${(err as Error).message}`);
    }
    const block = all.subarray(this.inflatedLength);
    this.inflatedLength = all.length;
    return decodeHeaderValues(block);
  }
}

const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** Compresses (well: frames as zlib stored blocks) the header blocks this side sends. */
export class HeaderBlockWriter {
  private started = false;

  write(headers: SpdyHeaders): Buffer {
    const raw = encodeHeaderValues(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32 KiB window), FLG with FDICT and a check value making the pair a multiple of 31.
      const cmf = 0x78;
      const flg = 0x20 + ((31 - ((cmf * 256 + 0x20) % 31)) % 31);
      parts.push(Buffer.from([cmf, flg]), u32(adler32(HEADER_DICTIONARY)));
      this.started = true;
    }
    let at = 0;
    do {
      const chunk = raw.subarray(at, at + 0xffff);
      const head = Buffer.alloc(5); // BFINAL 0, BTYPE 00 (stored): the stream goes on
      head.writeUInt16LE(chunk.length, 1);
      head.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(head, chunk);
      at += chunk.length;
    } while (at < raw.length);
    // The sync-flush marker, an empty stored block, ends every block: Go's inflater hands out a
    // block's bytes only when it has read the start of the next one, and without the marker that
    // read would run past this frame and fail the connection.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

// ---------------------------------------------------------------- frames

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; version: number; type: number; flags: number; payload: Buffer };

/** Splits a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= 8) {
      const length = this.pending.readUIntBE(5, 3);
      if (this.pending.length < 8 + length) break;
      const first = this.pending.readUInt32BE(0);
      const flags = this.pending[4]!;
      const payload = Buffer.from(this.pending.subarray(8, 8 + length));
      if (first & 0x80000000) frames.push({ kind: 'control', version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload });
      else frames.push({ kind: 'data', streamId: first & 0x7fffffff, flags, data: payload });
      this.pending = this.pending.subarray(8 + length);
    }
    return frames;
  }
}

function frameHeader(first: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY frame payload of ${length} bytes is too large`);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(first >>> 0, 0);
  h[4] = flags;
  h.writeUIntBE(length, 5, 3);
  return h;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader((0x80000000 | (SPDY_VERSION << 16) | type) >>> 0, flags, payload.length), payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  return Buffer.concat([frameHeader(streamId & 0x7fffffff, flags, data.length), data]);
}

export const synStreamPayload = (streamId: number, associatedTo: number, priority: number, headerBlock: Buffer) =>
  Buffer.concat([u32(streamId & 0x7fffffff), u32(associatedTo & 0x7fffffff), Buffer.from([(priority & 7) << 5, 0]), headerBlock]);

export const synReplyPayload = (streamId: number, headerBlock: Buffer) => Buffer.concat([u32(streamId & 0x7fffffff), headerBlock]);

export const rstStreamPayload = (streamId: number, status: number) => Buffer.concat([u32(streamId & 0x7fffffff), u32(status)]);

export const pingPayload = (id: number) => u32(id);

export const goAwayPayload = (lastGoodStreamId: number, status: number) => Buffer.concat([u32(lastGoodStreamId & 0x7fffffff), u32(status)]);

/** The fields of a SYN_STREAM payload; the header block still compressed. */
export function parseSynStream(payload: Buffer): { streamId: number; associatedTo: number; priority: number; headerBlock: Buffer } {
  if (payload.length < 10) throw new SpdyProtocolError('SYN_STREAM too short');
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedTo: payload.readUInt32BE(4) & 0x7fffffff,
    priority: payload[8]! >> 5,
    headerBlock: payload.subarray(10),
  };
}

/** Stream id and status of RST_STREAM, stream id and header block of SYN_REPLY/HEADERS, id of PING... */
export function parseStreamIdAndRest(payload: Buffer): { streamId: number; rest: Buffer } {
  if (payload.length < 4) throw new SpdyProtocolError('control frame too short');
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, rest: payload.subarray(4) };
}
