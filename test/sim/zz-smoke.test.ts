import { execFileSync } from 'node:child_process';
import { it } from 'vitest';
import { createSimHarness } from '/work/main/test/sim/harness.js';
it('smoke', async () => {
  const h = await createSimHarness();
  const run = (cmd: string, args: string[]) => {
    try { return execFileSync(cmd, args, { env: h.env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }); }
    catch (e: any) { return `EXIT ${e.status}\n${e.stdout}\n${e.stderr}`; }
  };
  const t = Date.now();
  console.log(run('kind', ['version']), Date.now() - t);
  console.log(run('bash', ['-c', 'kind create cluster --name demo 2>&1; kubectl get nodes; kubectl get pods -A; docker ps; kubectl version -o json | head -3']));
  console.log(run('bash', ['-c', 'istioctl install -y --set profile=demo; kubectl get deploy -n istio-system; kubectl get svc -n istio-system; istioctl version']));
  console.log(run('bash', ['-c', 'kubectl label ns default istio-injection=enabled; kubectl apply -f $ISTIO_HOME/samples/bookinfo/platform/kube/bookinfo.yaml; kubectl rollout status deploy/productpage-v1 --timeout=5s; kubectl get pods -o jsonpath="{.items[*].metadata.name}"; echo; kubectl get pods']));
  console.log(JSON.stringify(h.calls().slice(0,3), null, 1));
  await h.cleanup();
}, 60000);
