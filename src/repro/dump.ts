/**
 * The cluster state worth attaching to a bug report, read with kubectl and istioctl exactly as the
 * lab runs them (the lab's environment: its kubeconfig and pinned tools), one cluster at a time:
 *
 *   cluster.txt                    versions, nodes, kube-system pods
 *   namespaces/<ns>/objects.yaml   every listable namespaced object except Secrets and Events
 *   namespaces/<ns>/secrets.txt    Secret names and types only: a report gets pasted in public
 *   namespaces/<ns>/events.txt     events, oldest first
 *   namespaces/<ns>/logs/<pod>.log the last lines of every container (and the previous run's)
 *   istio/...                      proxy-status, analyze per namespace, proxy-config per sidecar
 *
 * Which namespaces: every namespace in the cluster except the ones Kubernetes and kind create for
 * themselves, so whatever the lab's steps created is included without the lab having to list it.
 * A command that fails is recorded in errors and the dump goes on.
 */
import type { ProcessRunner, RunResult } from '../core/seams.js';

export const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);
/** Not dumped as objects: Events have their own file, Secrets must not leak, Leases churn. */
const SKIPPED_RESOURCES = new Set(['events', 'events.events.k8s.io', 'secrets', 'leases.coordination.k8s.io']);

export interface DumpOptions {
  runner: ProcessRunner;
  env: Record<string, string | undefined>;
  /** kubeconfig context of the cluster. */
  context: string;
  /** Dump Istio proxy state too. */
  istio: boolean;
  logTail?: number;
  /** At most this many pods' logs and proxy configs, to keep the report attachable. */
  maxPods?: number;
  timeoutMs?: number;
}

export interface DumpFile {
  /** Relative to the cluster's directory. */
  path: string;
  content: string;
}

export interface RunningImage {
  namespace: string;
  pod: string;
  container: string;
  image: string;
  /** What the node resolved it to (repo@sha256:…). */
  imageID: string;
}

export interface ClusterDump {
  context: string;
  files: DumpFile[];
  images: RunningImage[];
  namespaces: string[];
  errors: string[];
  /** Every command run, in order, for the report. */
  commands: string[];
}

interface PodInfo {
  metadata: { name: string; namespace: string };
  spec?: { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  status?: {
    containerStatuses?: Array<{ name: string; image: string; imageID: string; restartCount?: number }>;
    initContainerStatuses?: Array<{ name: string; image: string; imageID: string; restartCount?: number }>;
  };
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');

export async function dumpCluster(o: DumpOptions): Promise<ClusterDump> {
  const dump: ClusterDump = { context: o.context, files: [], images: [], namespaces: [], errors: [], commands: [] };
  const exec = async (tool: string, args: string[]): Promise<RunResult> => {
    const full = tool === 'kubectl' ? ['--context', o.context, ...args] : [...args, '--context', o.context];
    dump.commands.push([tool, ...full].join(' '));
    return o.runner.run(tool, full, { env: o.env, timeoutMs: o.timeoutMs ?? 60_000 });
  };
  const text = async (tool: string, args: string[]): Promise<string> => {
    const r = await exec(tool, args);
    if (r.exitCode !== 0) {
      const why = (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '';
      dump.errors.push(`${tool} ${args.join(' ')}: exit ${r.exitCode}${why ? `: ${why}` : ''}`);
      return `# ${tool} ${args.join(' ')} failed (exit ${r.exitCode})\n${r.stderr}${r.stdout}`;
    }
    return r.stdout;
  };
  const file = (path: string, content: string) => dump.files.push({ path, content: content.endsWith('\n') || content === '' ? content : content + '\n' });

  const section = (title: string, body: string) => `## ${title}\n${body.trimEnd()}\n\n`;
  file(
    'cluster.txt',
    section('kubectl version', await text('kubectl', ['version'])) +
      section('nodes', await text('kubectl', ['get', 'nodes', '-o', 'wide'])) +
      section('kube-system pods', await text('kubectl', ['get', 'pods', '-n', 'kube-system', '-o', 'wide'])),
  );

  const nsList = await exec('kubectl', ['get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}']);
  if (nsList.exitCode !== 0) {
    dump.errors.push(`kubectl get namespaces: exit ${nsList.exitCode}: ${nsList.stderr.trim().split('\n').at(-1) ?? ''}`);
    return dump;
  }
  dump.namespaces = nsList.stdout.split(/\s+/).filter((n) => n && !SYSTEM_NAMESPACES.has(n)).sort();

  const apis = await exec('kubectl', ['api-resources', '--verbs=list', '--namespaced', '-o', 'name']);
  const resources = apis.exitCode === 0 ? apis.stdout.split('\n').map((l) => l.trim()).filter((r) => r && !SKIPPED_RESOURCES.has(r)) : ['all'];
  if (apis.exitCode !== 0) dump.errors.push('kubectl api-resources failed; dumped "all" only');

  const pods: PodInfo[] = [];
  for (const ns of dump.namespaces) {
    const dir = `namespaces/${safe(ns)}`;
    file(`${dir}/objects.yaml`, await text('kubectl', ['get', resources.join(','), '-n', ns, '-o', 'yaml', '--ignore-not-found']));
    file(`${dir}/secrets.txt`, '# names and types only; values are never written to a report\n' + (await text('kubectl', ['get', 'secrets', '-n', ns])));
    file(`${dir}/events.txt`, await text('kubectl', ['get', 'events', '-n', ns, '--sort-by=.lastTimestamp', '-o', 'wide']));
    const podJson = await exec('kubectl', ['get', 'pods', '-n', ns, '-o', 'json']);
    if (podJson.exitCode === 0) {
      try {
        pods.push(...((JSON.parse(podJson.stdout) as { items?: PodInfo[] }).items ?? []));
      } catch {
        dump.errors.push(`kubectl get pods -n ${ns}: output was not JSON`);
      }
    }
  }

  const maxPods = o.maxPods ?? 60;
  if (pods.length > maxPods) dump.errors.push(`${pods.length} pods; logs and proxy configs of the first ${maxPods} only`);
  for (const pod of pods) {
    const { name, namespace } = pod.metadata;
    for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      dump.images.push({ namespace, pod: name, container: s.name, image: s.image, imageID: s.imageID });
    }
  }
  for (const pod of pods.slice(0, maxPods)) {
    const { name, namespace } = pod.metadata;
    const dir = `namespaces/${safe(namespace)}/logs`;
    const tail = String(o.logTail ?? 500);
    file(`${dir}/${safe(name)}.log`, await text('kubectl', ['logs', '-n', namespace, name, '--all-containers', '--prefix', '--timestamps', `--tail=${tail}`]));
    const restarted = [...(pod.status?.containerStatuses ?? [])].some((s) => (s.restartCount ?? 0) > 0);
    if (restarted) {
      file(`${dir}/${safe(name)}.previous.log`, await text('kubectl', ['logs', '-n', namespace, name, '--all-containers', '--prefix', '--timestamps', '--previous', `--tail=${tail}`]));
    }
  }

  if (o.istio) {
    file('istio/version.txt', await text('istioctl', ['version']));
    file('istio/proxy-status.txt', await text('istioctl', ['proxy-status']));
    for (const ns of dump.namespaces) file(`istio/${safe(ns)}/analyze.txt`, await text('istioctl', ['analyze', '-n', ns]));
    const sidecars = pods
      .slice(0, maxPods)
      .filter((p) => [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].some((c) => c.name === 'istio-proxy'));
    for (const p of sidecars) {
      file(`istio/${safe(p.metadata.namespace)}/${safe(p.metadata.name)}.proxy-config.txt`, await text('istioctl', ['proxy-config', 'all', `${p.metadata.name}.${p.metadata.namespace}`]));
    }
  }
  return dump;
}
