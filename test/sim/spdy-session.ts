/**
 * The server end of a SPDY/3.1 connection (framing in spdy-framing.ts), as a kubelet runs it for
 * port-forward and exec: the client opens the streams (odd ids, SYN_STREAM with its headers), the
 * server answers each with SYN_REPLY at once — spdystream drops DATA on a stream it has no reply
 * for — and then both sides send DATA until FIN. PINGs from the client are echoed; GOAWAY ends the
 * connection once its streams are done.
 *
 * No flow control: WINDOW_UPDATE and SETTINGS are read and ignored, and nothing waits for a
 * window, because spdystream (kubectl's end) neither sends WINDOW_UPDATE nor honours it; a 3.1
 * peer that enforced the 64 KiB default window would stall on the first large response.
 *
 *   const session = new SpdyServerSession(socket);
 *   session.on('stream', (s: SpdyStream) => { s.headers.streamtype; s.write('...'); s.end(); });
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import {
  controlFrame,
  dataFrame,
  Flag,
  FrameParser,
  FrameType,
  goAwayPayload,
  HeaderBlockReader,
  HeaderBlockWriter,
  parseStreamIdAndRest,
  parseSynStream,
  RstStatus,
  rstStreamPayload,
  SPDY_VERSION,
  SpdyProtocolError,
  synReplyPayload,
  type Frame,
  type SpdyHeaders,
} from './spdy-framing.js';

/** Largest DATA frame we send; spdystream accepts up to 16 MiB, smaller frames keep memory flat. */
const MAX_DATA_CHUNK = 64 * 1024;

export class SpdyStream extends Duplex {
  /** Request headers, lowercase names, first value of each. */
  readonly headers: Record<string, string>;
  private localClosed = false;
  private remoteClosed = false;

  constructor(
    readonly id: number,
    readonly rawHeaders: SpdyHeaders,
    private readonly session: SpdyServerSession,
  ) {
    super({ allowHalfOpen: true });
    this.headers = Object.fromEntries(Object.entries(rawHeaders).map(([k, v]) => [k, v[0] ?? '']));
  }

  override _read(): void {
    // Data is pushed as frames arrive; without flow control there is nothing to ask for.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.localClosed) return callback(new Error(`SPDY stream ${this.id} is closed`));
    for (let at = 0; at < chunk.length; at += MAX_DATA_CHUNK) this.session.send(dataFrame(this.id, 0, chunk.subarray(at, at + MAX_DATA_CHUNK)));
    callback();
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.localClosed) {
      this.localClosed = true;
      this.session.send(dataFrame(this.id, Flag.FIN, Buffer.alloc(0)));
      this.settle();
    }
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.localClosed || !this.remoteClosed) {
      this.localClosed = this.remoteClosed = true;
      this.session.send(controlFrame(FrameType.RST_STREAM, 0, rstStreamPayload(this.id, RstStatus.CANCEL)));
    }
    this.session.forget(this);
    callback(err);
  }

  /** @internal DATA from the peer. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length) this.push(data);
    if (fin) this.remoteFinished();
  }

  /** @internal FIN from the peer (DATA or control frame flag). */
  remoteFinished(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.settle();
  }

  /** @internal RST_STREAM from the peer: the stream is gone in both directions. */
  resetByPeer(status: number): void {
    this.localClosed = this.remoteClosed = true;
    this.destroy(status === RstStatus.CANCEL ? undefined : new Error(`SPDY stream ${this.id} reset by peer (status ${status})`));
  }

  private settle(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this);
  }
}

export class SpdyServerSession extends EventEmitter {
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderBlockReader();
  private readonly deflater = new HeaderBlockWriter();
  private readonly streams = new Map<number, SpdyStream>();
  private lastClientStreamId = 0;
  private goneAway = false;
  private closed = false;

  /** `head`: bytes that came with the upgrade request, read before the transport's own. */
  constructor(private readonly transport: Duplex, head?: Buffer) {
    super();
    // Frames wait for the next tick, so the caller can subscribe to 'stream' first.
    if (head?.length) process.nextTick(() => this.receive(head));
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('end', () => this.shutdown());
    transport.on('close', () => this.shutdown());
    transport.on('error', () => this.shutdown());
  }

  /** Sends GOAWAY and closes the connection (the sim stopping, or the request finished). */
  close(): void {
    if (this.closed) return;
    this.send(controlFrame(FrameType.GOAWAY, 0, goAwayPayload(this.lastClientStreamId, 0)));
    this.shutdown();
  }

  /** @internal */
  send(frame: Buffer): void {
    if (!this.closed && this.transport.writable) this.transport.write(frame);
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    if (this.goneAway && this.streams.size === 0) this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.transport.end();
    this.transport.destroy();
    this.emit('close');
  }

  private receive(chunk: Buffer): void {
    try {
      for (const frame of this.parser.push(chunk)) this.handle(frame);
    } catch (err) {
      // A framing or compression error leaves the connection unusable (draft 3.1, 2.4.1).
      if (!(err instanceof SpdyProtocolError)) throw err;
      this.send(controlFrame(FrameType.GOAWAY, 0, goAwayPayload(this.lastClientStreamId, 1)));
      this.emit('protocolError', err);
      this.shutdown();
    }
  }

  private handle(frame: Frame): void {
    if (frame.kind === 'data') {
      const stream = this.streams.get(frame.streamId);
      if (!stream) return this.send(controlFrame(FrameType.RST_STREAM, 0, rstStreamPayload(frame.streamId, RstStatus.INVALID_STREAM)));
      return stream.receive(frame.data, (frame.flags & Flag.FIN) !== 0);
    }
    if (frame.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${frame.version}`);
    switch (frame.type) {
      case FrameType.SYN_STREAM:
        return this.open(frame);
      case FrameType.RST_STREAM: {
        const { streamId, rest } = parseStreamIdAndRest(frame.payload);
        return this.streams.get(streamId)?.resetByPeer(rest.length >= 4 ? rest.readUInt32BE(0) : 0);
      }
      case FrameType.HEADERS: {
        const { streamId, rest } = parseStreamIdAndRest(frame.payload);
        this.inflater.read(rest); // keeps the shared zlib stream in step
        if (frame.flags & Flag.FIN) this.streams.get(streamId)?.remoteFinished();
        return;
      }
      case FrameType.PING: {
        // Client pings have odd ids; answering with the same frame is the reply.
        const id = frame.payload.length >= 4 ? frame.payload.readUInt32BE(0) : 0;
        if (id % 2 === 1) this.send(controlFrame(FrameType.PING, 0, frame.payload));
        return;
      }
      case FrameType.GOAWAY:
        this.goneAway = true;
        if (this.streams.size === 0) this.shutdown();
        return;
      case FrameType.SYN_REPLY:
        // We open no streams, so there is nothing to reply to; decode to keep zlib in step.
        this.inflater.read(parseStreamIdAndRest(frame.payload).rest);
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, unknown types: ignored (see the header)
    }
  }

  private open(frame: Extract<Frame, { kind: 'control' }>): void {
    const syn = parseSynStream(frame.payload);
    const headers = this.inflater.read(syn.headerBlock);
    if (syn.streamId % 2 === 0 || syn.streamId <= this.lastClientStreamId) {
      return this.send(controlFrame(FrameType.RST_STREAM, 0, rstStreamPayload(syn.streamId, RstStatus.PROTOCOL_ERROR)));
    }
    this.lastClientStreamId = syn.streamId;
    if (this.goneAway) return this.send(controlFrame(FrameType.RST_STREAM, 0, rstStreamPayload(syn.streamId, RstStatus.REFUSED_STREAM)));
    const stream = new SpdyStream(syn.streamId, headers, this);
    this.streams.set(syn.streamId, stream);
    this.send(controlFrame(FrameType.SYN_REPLY, 0, synReplyPayload(syn.streamId, this.deflater.write({}))));
    if (frame.flags & Flag.FIN) stream.remoteFinished();
    if (frame.flags & Flag.UNIDIRECTIONAL) stream.end();
    this.emit('stream', stream);
  }
}
