/**
 * Istio release files the mesh-expansion and multicluster labs use that the shared fake release
 * (test/sim/istio-release.ts) does not ship: samples/multicluster/gen-eastwest-gateway.sh and
 * expose-istiod.yaml, Bookinfo's ratings v2 for a MySQL VM and its VirtualService. Written into
 * the harness's ISTIO_HOME, shaped like the 1.31 originals (names, labels, ports, hosts, images).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { SAMPLES_HUB } from '../../istio-release.js';

const eastWestOperator = (network: string, cluster: string, mesh: string) => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'eastwest' },
  spec: {
    revision: '',
    profile: 'empty',
    components: {
      ingressGateways: [
        {
          name: 'istio-eastwestgateway',
          label: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', ...(network ? { 'topology.istio.io/network': network } : {}) },
          enabled: true,
          k8s: {
            ...(network ? { env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: network }] } : {}),
            service: {
              ports: [
                { name: 'status-port', port: 15021, targetPort: 15021 },
                { name: 'tls', port: 15443, targetPort: 15443 },
                { name: 'tls-istiod', port: 15012, targetPort: 15012 },
                { name: 'tls-webhook', port: 15017, targetPort: 15017 },
              ],
            },
          },
        },
      ],
    },
    values: { gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } }, global: { ...(network ? { network } : {}), ...(cluster ? { multiCluster: { clusterName: cluster } } : {}), ...(mesh ? { meshID: mesh } : {}) } },
  },
});

const genScript = () => `#!/usr/bin/env bash
# Fake of samples/multicluster/gen-eastwest-gateway.sh (Istio 1.31): prints the IstioOperator.
NETWORK="" CLUSTER="" MESH="" SINGLE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --network) NETWORK="$2"; shift 2;;
    --cluster) CLUSTER="$2"; shift 2;;
    --mesh) MESH="$2"; shift 2;;
    --single-cluster) SINGLE=1; shift;;
    --revision) shift 2;;
    *) echo "unknown flag $1" >&2; exit 1;;
  esac
done
if [ -n "$SINGLE" ]; then NETWORK=""; fi
cat <<'DOC' | sed -e "s/@NETWORK@/$NETWORK/g" -e "s/@CLUSTER@/$CLUSTER/g" -e "s/@MESH@/$MESH/g"
${stringify(eastWestOperator('@NETWORK@', '@CLUSTER@', '@MESH@')).replace(/\n$/, '')}
DOC
`;

const exposeIstiod = [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'istiod-gateway' },
    spec: {
      selector: { istio: 'eastwestgateway' },
      servers: [
        { port: { name: 'tls-istiod', number: 15012, protocol: 'tls' }, tls: { mode: 'PASSTHROUGH' }, hosts: ['*'] },
        { port: { name: 'tls-istiodwebhook', number: 15017, protocol: 'tls' }, tls: { mode: 'PASSTHROUGH' }, hosts: ['*'] },
      ],
    },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'istiod-vs' },
    spec: {
      hosts: ['*'],
      gateways: ['istiod-gateway'],
      tls: [
        { match: [{ port: 15012, sniHosts: ['*'] }], route: [{ destination: { host: 'istiod.istio-system.svc.cluster.local', port: { number: 15012 } } }] },
        { match: [{ port: 15017, sniHosts: ['*'] }], route: [{ destination: { host: 'istiod.istio-system.svc.cluster.local', port: { number: 443 } } }] },
      ],
    },
  },
];

const labels = { app: 'ratings', version: 'v2-mysql-vm' };
const ratingsMysqlVm = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'ratings-v2-mysql-vm', labels },
  spec: {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: 'bookinfo-ratings',
        containers: [
          {
            name: 'ratings',
            image: `${SAMPLES_HUB}/examples-bookinfo-ratings-v2:1.20.3`,
            imagePullPolicy: 'IfNotPresent',
            env: [
              { name: 'DB_TYPE', value: 'mysql' },
              { name: 'MYSQL_DB_HOST', value: 'mysqldb.vm.svc.cluster.local' },
              { name: 'MYSQL_DB_PORT', value: '3306' },
              { name: 'MYSQL_DB_USER', value: 'root' },
              { name: 'MYSQL_DB_PASSWORD', value: 'password' },
            ],
            ports: [{ containerPort: 9080 }],
          },
        ],
      },
    },
  },
};

const vsRatingsMysqlVm = [
  { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v3' } }] }] } },
  { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'ratings' }, spec: { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings', subset: 'v2-mysql-vm' } }] }] } },
];

export async function writeReleaseExtras(istioHome: string): Promise<void> {
  const files: Record<string, string> = {
    'samples/multicluster/gen-eastwest-gateway.sh': genScript(),
    'samples/multicluster/expose-istiod.yaml': exposeIstiod.map((o) => stringify(o)).join('---\n'),
    'samples/bookinfo/platform/kube/bookinfo-ratings-v2-mysql-vm.yaml': stringify(ratingsMysqlVm),
    'samples/bookinfo/networking/virtual-service-ratings-mysql-vm.yaml': vsRatingsMysqlVm.map((o) => stringify(o)).join('---\n'),
  };
  for (const [rel, text] of Object.entries(files)) {
    const path = join(istioHome, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    if (rel.endsWith('.sh')) await chmod(path, 0o755);
  }
}
