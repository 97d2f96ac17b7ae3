"""Print the edges of Kiali's app graph for namespace default, by app name.

Runs inside a pod of the mesh (the lab pipes it into the productpage container, which has
Python). Kiali's graph API names nodes by opaque ids, so the script maps ids to app names first.
Exit code 0 when the edges productpage -> reviews and reviews -> ratings are present. The graph
only counts traffic of the last `duration` (Kiali's default is 10m); an hour keeps a check that
runs a while after the traffic meaningful.
"""
import json
import sys
import urllib.request

URL = (
    "http://kiali.istio-system:20001/kiali/api/namespaces/graph"
    "?namespaces=default&graphType=app&injectServiceNodes=false&duration=1h"
)
WANTED = {("productpage", "reviews"), ("reviews", "ratings")}


def main() -> int:
    with urllib.request.urlopen(URL, timeout=30) as response:
        graph = json.load(response)
    elements = graph.get("elements") or {}
    names = {}
    for node in elements.get("nodes") or []:
        data = node.get("data", {})
        names[data.get("id")] = data.get("app") or data.get("service") or data.get("workload") or "?"
    edges = set()
    for edge in elements.get("edges") or []:
        data = edge.get("data", {})
        edges.add((names.get(data.get("source"), "?"), names.get(data.get("target"), "?")))
    for source, target in sorted(edges):
        print(f"{source} -> {target}")
    missing = WANTED - edges
    if missing:
        print("missing: " + ", ".join(f"{s} -> {t}" for s, t in sorted(missing)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
