import { describe, expect, it } from 'vitest';
import { scanShell, simpleCommands } from '../../src/lab/shell-refs.js';

const scan = (code: string) => scanShell({ code, line: 20 });
const paths = (code: string) => scan(code).files.map((f) => [f.base, f.cwd ? `${f.cwd}/${f.path}` : f.path, f.line, f.manifest]);

describe('simpleCommands', () => {
  it('splits on operators and removes quotes', () => {
    expect(simpleCommands(`A=1 kubectl get "pods" -o 'jsonpath={.items[0]}' | grep x && echo "\${B}" # note`)).toEqual([
      ['A=1', 'kubectl', 'get', 'pods', '-o', 'jsonpath={.items[0]}'],
      ['grep', 'x'],
      ['echo', '${B}'],
    ]);
  });
});

describe('scanShell', () => {
  it('finds files given to kubectl, istioctl, helm and kind', () => {
    const code = [
      'kubectl apply -f manifests/a.yaml -f "$LAB_DIR/b.yaml"',
      'kubectl delete --filename=manifests/c.yaml --ignore-not-found',
      'istioctl install -y -f ${REPO_DIR}/manifests/operator.yaml',
      'helm install x chart -f values.yaml',
      'kind create cluster --config kind.yaml',
      'kubectl create configmap c --from-file=conf=files/app.conf',
      'kubectl apply -k overlays/dev',
    ].join('\n');
    expect(paths(code)).toEqual([
      ['cwd', 'manifests/a.yaml', 21, true],
      ['lab', 'b.yaml', 21, true],
      ['cwd', 'manifests/c.yaml', 22, true],
      ['repo', 'manifests/operator.yaml', 23, true],
      ['cwd', 'values.yaml', 24, false],
      ['cwd', 'kind.yaml', 25, false],
      ['cwd', 'files/app.conf', 26, false],
      ['cwd', 'overlays/dev', 27, false],
    ]);
    expect(scan(code).files.at(-1)?.kustomize).toBe(true);
  });

  it('finds paths under manifests/ anywhere, and input redirections', () => {
    expect(paths('envsubst < manifests/t.yaml | kubectl apply -f -\ncat ./manifests/x.txt > out.yaml\nwc -l < notes.txt')).toEqual([
      ['cwd', 'manifests/t.yaml', 21, true],
      ['cwd', './manifests/x.txt', 22, false],
      ['cwd', 'notes.txt', 23, false],
    ]);
  });

  it('skips what cannot be known: URLs, other variables, stdin, globs, follow flags', () => {
    const code = [
      'kubectl apply -f https://example.com/x.yaml',
      'kubectl apply -f "$HOME/x.yaml" -f -',
      'kubectl apply -f manifests/*.yaml',
      'kubectl logs -f deploy/web',
      'tail -f /var/log/x',
      'kubectl exec web -- cat -f manifests/in-pod.yaml',
    ].join('\n');
    expect(paths(code)).toEqual([]);
  });

  it('joins continued lines and follows cd', () => {
    expect(paths('cd manifests && \\\n  kubectl apply \\\n  -f app.yaml\ncd "$SOMEWHERE"\nkubectl apply -f lost.yaml')).toEqual([
      ['cwd', 'manifests/app.yaml', 21, true],
    ]);
  });

  it('takes heredoc bodies as inline manifests for kubectl, not as commands', () => {
    const code = "kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x # -f manifests/not-a-ref.yaml\nEOF\ncat <<EOF | kubectl apply -f -\nkind: ConfigMap\nEOF\ncat <<EOF | kubectl apply -f -\nname: $NAME\nEOF";
    const result = scan(code);
    expect(result.files).toEqual([]);
    expect(result.inline).toEqual([
      { yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x # -f manifests/not-a-ref.yaml', line: 22 },
      { yaml: 'kind: ConfigMap', line: 28 },
    ]);
  });
});
