/**
 * `kubectl exec` through client-node's WebSocket Exec: collects stdout and stderr and reads the
 * exit code from the Status the server sends when the command ends.
 */
import { Writable } from 'node:stream';
import type { ExecResult, KubeObject } from '../core/seams.js';
import { k8s } from './kube-api.js';

class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/**
 * The exit code a Status reports. A failure without an exit code (the executable does not exist,
 * the container is gone) has no process exit status; it is reported as 1 with the message on
 * stderr, which is what a shell running `kubectl exec` would see.
 */
export function exitCodeOf(status: ExecStatus): { exitCode: number; message?: string } {
  if (status.status === 'Success') return { exitCode: 0 };
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (status.reason === 'NonZeroExitCode' && code !== undefined && /^\d+$/.test(code)) return { exitCode: Number(code) };
  return { exitCode: 1, message: status.message ?? 'exec failed' };
}

/** The container kubectl would pick: the default-container annotation, else the first container. */
export function defaultContainer(pod: KubeObject): string | undefined {
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated) return annotated;
  return (pod.spec as { containers?: Array<{ name: string }> } | undefined)?.containers?.[0]?.name;
}

interface Closable {
  on(event: 'close', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

export async function execInPod(
  kc: k8s.KubeConfig,
  pod: { namespace: string; name: string; container: string },
  command: string[],
): Promise<ExecResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const exec = new k8s.Exec(kc);
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    const finish = (status: ExecStatus) => {
      if (settled) return;
      settled = true;
      const { exitCode, message } = exitCodeOf(status);
      const err = stderr.text();
      resolve({ stdout: stdout.text(), stderr: message ? `${err}${err && !err.endsWith('\n') ? '\n' : ''}${message}\n` : err, exitCode });
    };
    exec
      .exec(pod.namespace, pod.name, pod.container, command, stdout, stderr, null, false, (status) => finish(status as ExecStatus))
      .then((socket) => {
        const ws = socket as unknown as Closable;
        ws.on('error', (err) => {
          if (!settled) {
            settled = true;
            reject(err);
          }
        });
        ws.on('close', () => {
          if (!settled) {
            settled = true;
            reject(new Error(`exec in pod ${pod.namespace}/${pod.name}: the connection closed before the command finished`));
          }
        });
      })
      .catch((err: unknown) => {
        if (settled) return;
        settled = true;
        reject(err);
      });
  });
}
