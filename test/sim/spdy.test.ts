/**
 * The sim's SPDY/3.1 server end (spdy-framing.ts, spdy-session.ts), driven by a hand-written
 * client over an in-memory socket pair. The header blocks in the first test were captured from
 * kubectl v1.35.2 opening a port-forward, so decoding them proves the dictionary matches the one
 * kubectl's zlib was primed with.
 */
import { duplexPair, type Duplex } from 'node:stream';
import { constants, createDeflate, createInflate, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  controlFrame,
  dataFrame,
  decodeHeaderValues,
  encodeHeaderValues,
  Flag,
  FrameParser,
  FrameType,
  goAwayPayload,
  HEADER_DICTIONARY,
  HeaderBlockReader,
  HeaderBlockWriter,
  parseStreamIdAndRest,
  pingPayload,
  RstStatus,
  synStreamPayload,
  type Frame,
  type SpdyHeaders,
} from './spdy-framing.js';
import { SpdyServerSession, type SpdyStream } from './spdy-session.js';

// SYN_STREAM header blocks of kubectl v1.35.2 `port-forward pod 18080:80` (error stream, then data stream).
const KUBECTL_ERROR_STREAM_BLOCK = '78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45a024cc6461c0c0c0c0590489c44c50e2663400000000ffff';
const KUBECTL_DATA_STREAM_BLOCK = '826ac51445350c542e25a29a05000000ffff';

describe('SPDY/3.1 header blocks', () => {
  it('decodes the blocks kubectl compresses with the SPDY/3 dictionary, one zlib stream per connection', () => {
    const reader = new HeaderBlockReader();
    expect(reader.read(Buffer.from(KUBECTL_ERROR_STREAM_BLOCK, 'hex'))).toEqual({ streamtype: ['error'], port: ['80'], requestid: ['0'] });
    expect(reader.read(Buffer.from(KUBECTL_DATA_STREAM_BLOCK, 'hex'))).toEqual({ requestid: ['0'], streamtype: ['data'], port: ['80'] });
    expect(HEADER_DICTIONARY).toHaveLength(1423);
  });

  it('writes blocks any inflater reads one at a time, each ending at a sync-flush point', async () => {
    const writer = new HeaderBlockWriter();
    const blocks = [writer.write({ ':status': ['200'] }), writer.write({}), writer.write({ 'set-cookie': ['a=1', 'b=2'] })];
    // The stream is primed with the SPDY dictionary: an inflater without it refuses.
    expect(() => inflateSync(blocks[0]!, { finishFlush: constants.Z_SYNC_FLUSH })).toThrow(/dictionary/i);
    for (const b of blocks) expect(b.subarray(-4).toString('hex')).toBe('0000ffff');

    const inflate = createInflate({ dictionary: HEADER_DICTIONARY });
    const decoded: SpdyHeaders[] = [];
    for (const block of blocks) {
      decoded.push(
        await new Promise<SpdyHeaders>((resolve) => {
          const out: Buffer[] = [];
          const onData = (c: Buffer) => out.push(c);
          inflate.on('data', onData);
          inflate.write(block);
          inflate.flush(constants.Z_SYNC_FLUSH, () => {
            inflate.off('data', onData);
            resolve(decodeHeaderValues(Buffer.concat(out)));
          });
        }),
      );
    }
    expect(decoded).toEqual([{ ':status': ['200'] }, {}, { 'set-cookie': ['a=1', 'b=2'] }]);
  });
});

describe('SPDY/3.1 frames', () => {
  it('reassembles frames split across reads and splits several arriving at once', () => {
    const parser = new FrameParser();
    const bytes = Buffer.concat([dataFrame(1, Flag.FIN, Buffer.from('hello')), controlFrame(FrameType.PING, 0, pingPayload(7))]);
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i += 3) frames.push(...parser.push(bytes.subarray(i, i + 3)));
    expect(frames).toEqual([
      { kind: 'data', streamId: 1, flags: Flag.FIN, data: Buffer.from('hello') },
      { kind: 'control', version: 3, type: FrameType.PING, flags: 0, payload: pingPayload(7) },
    ]);
    expect(parser.push(bytes)).toHaveLength(2);
  });
});

/** A SPDY client like spdystream: real zlib compression, frames parsed as they come. */
class TestClient {
  readonly frames: Frame[] = [];
  private readonly parser = new FrameParser();
  private readonly deflate = createDeflate({ dictionary: HEADER_DICTIONARY });
  private readonly replies = new HeaderBlockReader();
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Duplex) {
    socket.on('data', (c: Buffer) => {
      this.frames.push(...this.parser.push(c));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  async open(streamId: number, headers: SpdyHeaders, flags = 0): Promise<void> {
    const out: Buffer[] = [];
    const onData = (c: Buffer) => out.push(c);
    this.deflate.on('data', onData);
    this.deflate.write(encodeHeaderValues(headers));
    await new Promise<void>((resolve) => this.deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    this.deflate.off('data', onData);
    this.socket.write(controlFrame(FrameType.SYN_STREAM, flags, synStreamPayload(streamId, 0, 0, Buffer.concat(out))));
  }

  /** Waits for a frame matching `match` (after those already seen). */
  async next(match: (f: Frame) => boolean, from = 0): Promise<Frame> {
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  replyHeaders(f: Frame): SpdyHeaders {
    if (f.kind !== 'control') throw new Error('not a control frame');
    return this.replies.read(parseStreamIdAndRest(f.payload).rest);
  }
}

const isControl = (type: number, streamId?: number) => (f: Frame) =>
  f.kind === 'control' && f.type === type && (streamId === undefined || parseStreamIdAndRest(f.payload).streamId === streamId);
const isData = (streamId: number) => (f: Frame) => f.kind === 'data' && f.streamId === streamId;

function connect(): { client: TestClient; session: SpdyServerSession; streams: SpdyStream[] } {
  const [clientSide, serverSide] = duplexPair();
  const session = new SpdyServerSession(serverSide);
  const streams: SpdyStream[] = [];
  session.on('stream', (s: SpdyStream) => streams.push(s));
  return { client: new TestClient(clientSide), session, streams };
}

describe('SPDY/3.1 server session', () => {
  it('replies to each new stream before any data, and carries data both ways until FIN', async () => {
    const { client, streams } = connect();
    await client.open(1, { streamtype: ['data'], port: ['80'] });
    const reply = await client.next(isControl(FrameType.SYN_REPLY, 1));
    expect(client.replyHeaders(reply)).toEqual({});
    expect(streams[0]!.headers).toEqual({ streamtype: 'data', port: '80' });

    client.socket.write(dataFrame(1, 0, Buffer.from('ping ')));
    client.socket.write(dataFrame(1, Flag.FIN, Buffer.from('me')));
    let received = '';
    for await (const chunk of streams[0]!) received += String(chunk);
    expect(received).toBe('ping me');

    streams[0]!.end('pong');
    const data = (await client.next((f) => isData(1)(f) && f.kind === 'data' && (f.flags & Flag.FIN) !== 0)) as Extract<Frame, { kind: 'data' }>;
    const payload = client.frames.filter(isData(1)).map((f) => (f as Extract<Frame, { kind: 'data' }>).data.toString()).join('');
    expect(payload).toBe('pong');
    expect(client.frames.indexOf(reply)).toBeLessThan(client.frames.indexOf(data));
  });

  it('echoes client pings, refuses bad stream ids and data for unknown streams, and ends on GOAWAY', async () => {
    const { client, session } = connect();
    client.socket.write(controlFrame(FrameType.PING, 0, pingPayload(5)));
    const pong = await client.next(isControl(FrameType.PING));
    expect(pong.kind === 'control' && pong.payload.readUInt32BE(0)).toBe(5);

    await client.open(2, { streamtype: ['data'] }); // even ids belong to the server
    const rst = await client.next(isControl(FrameType.RST_STREAM, 2));
    expect(rst.kind === 'control' && rst.payload.readUInt32BE(4)).toBe(RstStatus.PROTOCOL_ERROR);

    client.socket.write(dataFrame(9, 0, Buffer.from('x')));
    const unknown = await client.next(isControl(FrameType.RST_STREAM, 9));
    expect(unknown.kind === 'control' && unknown.payload.readUInt32BE(4)).toBe(RstStatus.INVALID_STREAM);

    const closed = new Promise((resolve) => session.on('close', resolve));
    client.socket.write(controlFrame(FrameType.GOAWAY, 0, goAwayPayload(0, 0)));
    await closed;
  });
});
