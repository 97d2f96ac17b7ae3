/**
 * What a stock nginx container answers: files under /usr/share/nginx/html, which the labs mount
 * from a ConfigMap (index.html says `old`, `new`, ...), nginx's welcome page when nothing is
 * mounted there, 404 for files that do not exist. The ConfigMap is read at request time, as the
 * kubelet keeps a mounted ConfigMap in sync.
 */
import type { KubeObject } from '../../../src/core/seams.js';
import type { SimCluster } from '../apiserver.js';
import type { SimResponse } from '../../checks/sampler-sim.js';

const HTML_ROOT = '/usr/share/nginx/html';

const WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working.</p>
</body>
</html>
`;

export function nginxErrorPage(status: number, reason: string): string {
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

interface Container {
  name: string;
  image?: string;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Volume {
  name: string;
  configMap?: { name: string };
}

export function isNginxPod(pod: KubeObject): boolean {
  const containers = (pod.spec as { containers?: Container[] } | undefined)?.containers ?? [];
  return containers.some((c) => /(^|\/)nginx(:|@|$)/.test(c.image ?? ''));
}

/** The files of the html root: the ConfigMap mounted there, or undefined for nginx's own page. */
function htmlFiles(cluster: SimCluster, pod: KubeObject): Record<string, string> | undefined {
  const spec = pod.spec as { containers?: Container[]; volumes?: Volume[] };
  const container = (spec.containers ?? []).find((c) => /(^|\/)nginx(:|@|$)/.test(c.image ?? ''));
  const mount = container?.volumeMounts?.find((m) => m.mountPath.replace(/\/+$/, '') === HTML_ROOT);
  if (!mount) return undefined;
  const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume?.configMap) return {};
  const cm = cluster.get('v1', 'ConfigMap', volume.configMap.name, pod.metadata.namespace);
  return (cm?.data as Record<string, string> | undefined) ?? {};
}

export function nginxResponse(cluster: SimCluster, pod: KubeObject, path: string): SimResponse {
  const files = htmlFiles(cluster, pod);
  const clean = path.split('?')[0] ?? '/';
  const file = clean.endsWith('/') ? `${clean}index.html` : clean;
  const headers = { server: 'nginx/1.29.1', 'content-type': 'text/html' };
  if (files === undefined) {
    return file === '/index.html' ? { status: 200, body: WELCOME, headers, timeMs: 1 } : { status: 404, body: nginxErrorPage(404, 'Not Found'), headers, timeMs: 1 };
  }
  const body = files[file.replace(/^\//, '')];
  return body === undefined ? { status: 404, body: nginxErrorPage(404, 'Not Found'), headers, timeMs: 1 } : { status: 200, body, headers, timeMs: 1 };
}
