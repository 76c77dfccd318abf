#!/usr/bin/env bash
# Builds the test-infrastructure binaries (Kubernetes control plane, etcd, kwok, helm, MinIO, stripe-mock)
# from the Go module proxy into a cache outside the repository. Idempotent: a binary that exists is never
# rebuilt. Prints progress with timings. Usage: scripts/build-test-binaries.sh [component ...]
set -euo pipefail

K8S_VERSION="${ZGW_K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ZGW_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${ZGW_KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${ZGW_HELM_VERSION:-v3.19.5}"
STRIPE_MOCK_VERSION="${ZGW_STRIPE_MOCK_VERSION:-v0.203.0}"
MINIO_VERSION="${ZGW_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"  # pinned: MinIO publishes no semver Go module versions

CACHE="${ZGW_TEST_CACHE:-$HOME/.cache/zgw-cloud}"
BIN="$CACHE/bin"
mkdir -p "$BIN"
export CGO_ENABLED=0 GOWORK=off GOFLAGS="${GOFLAGS:--buildvcs=false}"
# Two cores: keep one link at a time so peak memory stays bounded.
export GOMAXPROCS="${GOMAXPROCS:-2}"

log() { printf '[build-test-binaries %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

have() { [ -x "$BIN/$1" ] && [ -f "$BIN/.$1.version" ] && [ "$(cat "$BIN/.$1.version")" = "$2" ]; }
mark() { echo "$2" >"$BIN/.$1.version"; }

timed() {  # timed NAME VERSION FUNCTION
  local name=$1 version=$2 fn=$3 start
  if have "$name" "$version"; then log "$name $version cached"; return 0; fi
  log "building $name $version ..."
  start=$(date +%s)
  "$fn"
  mark "$name" "$version"
  log "built $name $version in $(( $(date +%s) - start ))s"
}

# A throwaway module whose go.mod pins every replace target; used for modules that carry replace
# directives (which `go install pkg@version` refuses).
scratch_module() {  # scratch_module DIR MODULE VERSION
  local dir=$1 module=$2 version=$3 gomod
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init zgwcloud.local/build >/dev/null 2>&1
  gomod=$(go mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  cp "$gomod" upstream.mod
  echo "$gomod"
}

build_kubernetes() {
  local dir="$CACHE/src/k8s-$K8S_VERSION" staging="v0.${K8S_VERSION#v1.}" minor
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  scratch_module "$dir" k8s.io/kubernetes "$K8S_VERSION" >/dev/null
  {
    echo "module zgwcloud.local/build"
    # The same go directive and godebug default that upstream builds with.
    grep -E '^go [0-9]' upstream.mod | head -1
    grep -E '^godebug [a-z]' upstream.mod || true
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    awk -v v="$staging" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print "\t" $1 " => " $1 " " v}' upstream.mod | sort -u
    echo ")"
  } >go.mod
  printf 'package main\nimport (\n_ "k8s.io/kubernetes/cmd/kube-apiserver"\n_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n_ "k8s.io/kubernetes/cmd/kube-scheduler"\n)\n' >tools.go
  sed -i 's/^package main/\/\/go:build tools\npackage main/' tools.go
  go get "k8s.io/kubernetes@$K8S_VERSION"
  go mod tidy
  local pkg="k8s.io/component-base/version"
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    log "  go build $cmd"
    go build -ldflags "$ldflags" -o "$BIN/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
}

build_etcd() {
  local dir="$CACHE/src/etcd-$ETCD_VERSION"
  scratch_module "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" >/dev/null
  {
    echo "module zgwcloud.local/build"
    grep -E '^go [0-9]' upstream.mod | head -1
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo "replace ("
    grep -oE '^\s*go\.etcd\.io/etcd/[a-z0-9/]+ => \.\./[a-z0-9/]*' upstream.mod | awk -v v="$ETCD_VERSION" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >go.mod
  printf '//go:build tools\npackage main\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod tidy
  go build -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

gobin_install() {  # gobin_install BINARY PACKAGE@VERSION
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" go install -ldflags "-s -w" "$2"
  mv "$tmp/$1" "$BIN/$1"; rm -rf "$tmp"
}

build_etcd_isolated() { (build_etcd); }
build_kwok() {
  gobin_install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # kwok v0.8 ships no default stages; keep the ones we run with next to the binary.
  local moddir; moddir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$BIN/kwok-stages"; mkdir -p "$BIN/kwok-stages"
  local stage f
  for stage in node/fast node/heartbeat-with-lease pod/fast; do
    for f in "$moddir/kustomize/stage/$stage/"*.yaml; do
      case $(basename "$f") in kustomization.yaml) ;; *) cp "$f" "$BIN/kwok-stages/" ;; esac
    done
  done
  chmod -R u+w "$BIN/kwok-stages"
}
build_helm() { gobin_install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; }
build_minio() { gobin_install minio "github.com/minio/minio@$MINIO_VERSION"; }
build_stripe_mock() { gobin_install stripe-mock "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"; }

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(minio kwok helm stripe-mock etcd kubernetes)
for c in "${components[@]}"; do
  case $c in
    kubernetes) have kube-apiserver "$K8S_VERSION" && have kube-controller-manager "$K8S_VERSION" && have kube-scheduler "$K8S_VERSION" \
                  && { log "kubernetes $K8S_VERSION cached"; continue; }
                start=$(date +%s); log "building kubernetes $K8S_VERSION (cold: 15-30 min) ..."
                (build_kubernetes)
                for b in kube-apiserver kube-controller-manager kube-scheduler; do mark "$b" "$K8S_VERSION"; done
                log "built kubernetes in $(( $(date +%s) - start ))s" ;;
    etcd) timed etcd "$ETCD_VERSION" build_etcd_isolated ;;
    kwok) timed kwok "$KWOK_VERSION" build_kwok ;;
    helm) timed helm "$HELM_VERSION" build_helm ;;
    minio) timed minio "$MINIO_VERSION" build_minio ;;
    stripe-mock) timed stripe-mock "$STRIPE_MOCK_VERSION" build_stripe_mock ;;
    *) echo "unknown component: $c" >&2; exit 2 ;;
  esac
done
log "all test binaries present in $BIN"
