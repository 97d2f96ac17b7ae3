/**
 * The start of every exported script: its shell functions, the check that the tools on PATH are
 * the pinned versions, and (for labs that use Istio) the download of the pinned Istio release,
 * verified against the checksum kindlab saw when it downloaded the same release.
 */
import type { Pins, ToolName } from '../../platform/tools/versions.js';
import { sh } from './shell.js';

/** Shell functions the rest of the script (and the addons' bash, see ScriptWriter) call. */
export const FUNCTIONS = String.raw`say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not on PATH: install $2"; }
# Stops on a version other than the pinned one: a bug report is about exact versions.
check_version() {
  case "$3" in
    *"$2"*) ;;
    *) if [ "${"$"}{ALLOW_OTHER_VERSIONS:-}" = 1 ]; then
         printf 'warning: %s %s expected, found: %s\n' "$1" "$2" "$3" >&2
       else
         die "$1 $2 expected, found: $3 (ALLOW_OTHER_VERSIONS=1 goes on anyway)"
       fi ;;
  esac
}
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
# Repeats a kubectl get until it prints something (a LoadBalancer address, a CA bundle), up to 5 minutes.
wait_for_value() {
  local value=""
  for _ in $(seq 1 150); do
    value="$(kubectl "$@" 2>/dev/null || true)"
    if [ -n "$value" ]; then printf '%s' "$value"; return 0; fi
    sleep 2
  done
  die "no value after 5 minutes: kubectl $*"
}`;

/** Docker, kind, kubectl and helm present and at the pinned versions. */
export function toolCheckLines(tools: readonly ToolName[]): string[] {
  return [
    '# ---------------------------------------------------------------- tools',
    'need docker "Docker (https://docs.docker.com/engine/install/)"',
    'docker info >/dev/null 2>&1 || die "Docker is installed but not running"',
    'need kind "kind $KIND_VERSION (https://kind.sigs.k8s.io/dl/$KIND_VERSION/)"',
    'check_version kind "$KIND_VERSION" "$(kind version)"',
    'need kubectl "kubectl $KUBECTL_VERSION (https://dl.k8s.io/release/$KUBECTL_VERSION/bin/)"',
    'check_version kubectl "$KUBECTL_VERSION" "$(kubectl version --client 2>/dev/null | head -n1)"',
    ...(tools.includes('helm') ? ['need helm "helm $HELM_VERSION (https://get.helm.sh/)"', 'check_version helm "$HELM_VERSION" "$(helm version --short)"'] : []),
  ];
}

/** ISTIO_HOME: the pinned release, downloaded and verified unless the work folder has it. */
export function istioReleaseLines(pins: Pins, checksums: Record<string, string> = {}): string[] {
  const sums = Object.entries(checksums).sort();
  return [
    '',
    `# ---------------------------------------------------------------- Istio ${pins.istio} release (ISTIO_HOME)`,
    'case "$(uname -s)-$(uname -m)" in',
    '  Linux-x86_64) ISTIO_SUFFIX=linux-amd64 ;;',
    '  Linux-aarch64 | Linux-arm64) ISTIO_SUFFIX=linux-arm64 ;;',
    '  Darwin-arm64) ISTIO_SUFFIX=osx-arm64 ;;',
    '  Darwin-x86_64) ISTIO_SUFFIX=osx ;;',
    '  *) die "Istio publishes no build for $(uname -s) $(uname -m)" ;;',
    'esac',
    '# Checksums kindlab verified when it downloaded the release; other platforms use the published .sha256 file.',
    'ISTIO_SHA256=""',
    'case "$ISTIO_SUFFIX" in',
    ...sums.map(([suffix, sum]) => `  ${suffix}) ISTIO_SHA256=${sh(sum)} ;;`),
    '  *) ;;',
    'esac',
    'export ISTIO_HOME="$WORK/istio-$ISTIO_VERSION"',
    'if [ ! -x "$ISTIO_HOME/bin/istioctl" ]; then',
    '  need curl "curl"',
    '  archive="istio-$ISTIO_VERSION-$ISTIO_SUFFIX.tar.gz"',
    '  url="https://github.com/istio/istio/releases/download/$ISTIO_VERSION/$archive"',
    '  say "Downloading $archive"',
    '  curl -fsSL --retry 3 -o "$WORK/$archive" "$url"',
    '  if [ -z "$ISTIO_SHA256" ]; then ISTIO_SHA256="$(curl -fsSL --retry 3 "$url.sha256" | cut -d\' \' -f1)"; fi',
    '  actual="$(sha256_of "$WORK/$archive")"',
    '  [ "$actual" = "$ISTIO_SHA256" ] || die "checksum mismatch for $archive: expected $ISTIO_SHA256, got $actual"',
    '  tar -xzf "$WORK/$archive" -C "$WORK"',
    'fi',
    'export PATH="$ISTIO_HOME/bin:$PATH"',
    'check_version istioctl "$ISTIO_VERSION" "$(istioctl version --remote=false 2>/dev/null)"',
  ];
}
