import { sh } from './shell.js';

/**
 * network.podRoutes, as kindlab's interconnect does it: on every node, a route to each node of the
 * other clusters for that node's pod range, via its address on the kind network.
 */
export function podRouteLines(contexts: string[]): string[] {
  const jsonpath = `{range .items[*]}{.metadata.name}{" "}{.spec.podCIDR}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}`;
  return [
    '',
    '# ---------------------------------------------------------------- pod routes between the clusters (network.podRoutes)',
    `for ctx in ${contexts.map(sh).join(' ')}; do`,
    `  kubectl --context "$ctx" get nodes -o jsonpath=${sh(jsonpath)} | sed "s|^|$ctx |"`,
    'done > "$WORK/nodes.txt"',
    'while read -r ctx node _cidr _ip; do',
    '  while read -r other _other_node cidr ip; do',
    '    [ "$other" = "$ctx" ] && continue',
    '    docker exec "$node" ip route replace "$cidr" via "$ip" </dev/null',
    '  done < "$WORK/nodes.txt"',
    'done < "$WORK/nodes.txt"',
  ];
}
