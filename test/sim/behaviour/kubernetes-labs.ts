/**
 * The behaviour of a kind cluster that the Kubernetes labs (cluster-bootstrap, cert-rotation,
 * canary-l4, blue-green-ingress, ingress-ha) depend on, on top of the sim: plug it into a harness
 * and `kindlab run <lab>` sees traffic, node containers, kubeadm and certificates behave as on a real
 * cluster. Options switch single behaviours to a realistic misbehaviour, to prove that the right
 * checkpoint notices.
 *
 *   const h = await createSimHarness();
 *   const world = simulateKubernetesLabs(h);                      // sets h.sim.onExec
 *   ... run kindlab ...
 *   world.stop(); await h.cleanup();
 *
 * Pieces: network.ts (the data path) with l4-load-balancer.ts, ingress-nginx.ts, gateway-api.ts and
 * nginx-pod.ts; node-containers.ts (docker stop/start); node-shell.ts and pod-shell.ts (commands),
 * with node-fs.ts, pki.ts, kubelet.ts, kubeadm.ts, bootstrap-tokens.ts.
 */
import { join } from 'node:path';
import type { SimHarness } from '../harness.js';
import { bootstrapTokens } from './bootstrap-tokens.js';
import { execChain, type ExecChain } from './exec-chain.js';
import { cloudProviderKindGateways, gatewayFrontDoor } from './gateway-api.js';
import { ingressNginxController, ingressNginxRouter, type IngressNginxOptions } from './ingress-nginx.js';
import { Kubeadm } from './kubeadm.js';
import { Kubelets } from './kubelet.js';
import { l4LoadBalancer, type L4LoadBalancerOptions } from './l4-load-balancer.js';
import { createNetwork, seededRandom, type Network } from './network.js';
import { watchNodeContainers, type NodeLifecycleOptions } from './node-containers.js';
import { createNodeFs, type NodeFs } from './node-fs.js';
import { nodeShell } from './node-shell.js';
import { ClusterPki } from './pki.js';
import { podShell } from './pod-shell.js';

export interface KubernetesLabsOptions {
  /** kindnet's routes between the nodes' pod CIDRs (default true; false: pods on different nodes cannot talk). */
  podRoutes?: boolean;
  /** cloud-provider-kind's load balancers (default: they follow node health). */
  loadBalancer?: L4LoadBalancerOptions;
  /** ingress-nginx (default: honours the canary annotations). */
  ingressNginx?: IngressNginxOptions;
  /** The controller manager's bootstrap signer signs cluster-info (default true). */
  bootstrapSigner?: boolean;
  /** Seed of the random choices (load balancing, weights); default 42. */
  seed?: number;
  /** The time slow processes follow (lab-clock.ts; default the wall clock). */
  clock?: () => number;
  /** Node lifecycle: grace period before a stopped node is marked, time a started one takes to come back. */
  nodes?: NodeLifecycleOptions;
}

export interface KubernetesLabsWorld {
  chain: ExecChain;
  net: Network;
  fs: NodeFs;
  pki: ClusterPki;
  kubelets: Kubelets;
  stop(): void;
}

export function simulateKubernetesLabs(h: Pick<SimHarness, 'sim' | 'dir' | 'env'>, opts: KubernetesLabsOptions = {}): KubernetesLabsWorld {
  const { sim } = h;
  const stateFile = h.env.KINDLAB_FAKE_STATE ?? join(h.dir, 'fake-state.json');
  const containers = watchNodeContainers(sim, stateFile, { ...(opts.clock ? { clock: opts.clock } : {}), ...opts.nodes });
  const podRoutes = opts.podRoutes ?? true;
  const net = createNetwork(sim, containers, { podRoutes, random: seededRandom(opts.seed ?? 42) });
  const fs = createNodeFs(join(h.dir, 'nodes'));
  // admin.conf's client certificate (which the fake kind copies into kubeconfigs) must open the API.
  const pki = new ClusterPki(fs, Date.now, (cluster, caPem) => {
    if (sim.hasCluster(cluster)) sim.cluster(cluster).trustedClientCas.add(caPem);
  });
  const kubelets = new Kubelets(sim, fs);
  const kubeadm = new Kubeadm(sim, pki);

  const gateways = cloudProviderKindGateways(sim, containers);
  net.addFrontDoor(l4LoadBalancer(opts.loadBalancer));
  net.addFrontDoor(gatewayFrontDoor(gateways));
  net.addPodApp(ingressNginxRouter(opts.ingressNginx));
  const stopIngress = ingressNginxController(sim);
  const stopTokens = bootstrapTokens(sim, { caPem: (cluster) => pki.casOf(cluster).cas.ca.certPem, signer: opts.bootstrapSigner ?? true });

  const nodes = nodeShell({ sim, fs, pki, kubelets, kubeadm, net, podRoutes });
  const pods = podShell(net);
  const chain = execChain(
    () => {
      containers.sync();
      return undefined;
    },
    nodes,
    pods,
  );
  sim.onExec = chain.handler;

  return {
    chain,
    net,
    fs,
    pki,
    kubelets,
    stop() {
      containers.stop();
      gateways.stop();
      stopIngress();
      stopTokens();
    },
  };
}
