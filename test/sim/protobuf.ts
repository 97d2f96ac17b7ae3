/**
 * Decoding of the Kubernetes protobuf request bodies the real helm sends. Helm's release storage
 * writes its Secrets (or ConfigMaps) through client-go's typed clientset, which encodes them as
 * `application/vnd.kubernetes.protobuf` and does not fall back to JSON on 415. The sim answers in
 * JSON (every client that sends protobuf also accepts JSON) and reads these two kinds: the
 * "k8s\0" envelope around a runtime.Unknown, and the messages of k8s.io/api/core/v1/generated.proto
 * (Secret, ConfigMap) and apimachinery's ObjectMeta and DeleteOptions, by their field numbers.
 * Other kinds get 415.
 */
import type { KubeObject } from '../../src/core/seams.js';
import { unsupportedMediaType } from './status.js';

type Fields = Map<number, Array<number | Buffer>>;

function varint(buf: Buffer, at: { i: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at.i++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}

/** A message's fields: varints as numbers, length-delimited ones as bytes. */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  const at = { i: 0 };
  while (at.i < buf.length) {
    const key = varint(buf, at);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    let value: number | Buffer;
    if (wire === 0) value = varint(buf, at);
    else if (wire === 2) {
      const len = varint(buf, at);
      value = buf.subarray(at.i, at.i + len);
      at.i += len;
    } else if (wire === 1) {
      value = buf.subarray(at.i, at.i + 8);
      at.i += 8;
    } else if (wire === 5) {
      value = buf.subarray(at.i, at.i + 4);
      at.i += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    out.set(no, [...(out.get(no) ?? []), value]);
  }
  return out;
}

const str = (f: Fields, no: number) => {
  const v = f.get(no)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};

function map(f: Fields, no: number, value: (b: Buffer) => string): Record<string, string> | undefined {
  const entries = f.get(no);
  if (!entries) return undefined;
  return Object.fromEntries(
    entries.map((e) => {
      const kv = fields(e as Buffer);
      const v = kv.get(2)?.[0];
      return [str(kv, 1) ?? '', Buffer.isBuffer(v) ? value(v) : ''];
    }),
  );
}

const utf8 = (b: Buffer) => b.toString('utf8');
const base64 = (b: Buffer) => b.toString('base64');

function objectMeta(buf: Buffer | undefined): KubeObject['metadata'] {
  const f = fields(buf ?? Buffer.alloc(0));
  const meta: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => v !== undefined && v !== '' && (meta[k] = v);
  set('name', str(f, 1));
  set('generateName', str(f, 2));
  set('namespace', str(f, 3));
  set('uid', str(f, 5));
  set('resourceVersion', str(f, 6));
  set('labels', map(f, 11, utf8));
  set('annotations', map(f, 12, utf8));
  const finalizers = f.get(14)?.map((b) => utf8(b as Buffer));
  if (finalizers?.length) meta.finalizers = finalizers;
  return meta as KubeObject['metadata'];
}

/** The JSON form of a protobuf-encoded Secret, ConfigMap or DeleteOptions; 415 for anything else. */
export function decodeProtobufObject(body: Buffer, contentType: string): KubeObject {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw unsupportedMediaType(contentType);
  const unknown = fields(body.subarray(4));
  const typeMeta = fields((unknown.get(1)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
  const apiVersion = str(typeMeta, 1) ?? '';
  const kind = str(typeMeta, 2) ?? '';
  const raw = fields((unknown.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
  const metadata = objectMeta(raw.get(1)?.[0] as Buffer | undefined);
  if (apiVersion === 'v1' && kind === 'Secret') {
    const immutable = raw.get(5)?.[0];
    return {
      apiVersion,
      kind,
      metadata,
      ...(raw.has(2) ? { data: map(raw, 2, base64) } : {}),
      ...(str(raw, 3) ? { type: str(raw, 3) } : {}),
      ...(raw.has(4) ? { stringData: map(raw, 4, utf8) } : {}),
      ...(immutable !== undefined ? { immutable: immutable === 1 } : {}),
    };
  }
  if (apiVersion === 'v1' && kind === 'ConfigMap') {
    const immutable = raw.get(4)?.[0];
    return {
      apiVersion,
      kind,
      metadata,
      ...(raw.has(2) ? { data: map(raw, 2, utf8) } : {}),
      ...(raw.has(3) ? { binaryData: map(raw, 3, base64) } : {}),
      ...(immutable !== undefined ? { immutable: immutable === 1 } : {}),
    };
  }
  if (kind === 'DeleteOptions') {
    const policy = str(raw, 4);
    return { apiVersion, kind, ...(policy ? { propagationPolicy: policy } : {}) } as unknown as KubeObject;
  }
  throw unsupportedMediaType(contentType);
}
