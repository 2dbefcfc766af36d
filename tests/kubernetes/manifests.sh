#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# deploy/kubernetes/timewait.yaml against the Kubernetes API's schemas (core and
# prometheus-operator's PodMonitor), offline, with the validator scripts/install-deps.sh installs
# (npm: kubernetes-models, @kubernetes-models/prometheus-operator, yaml). Mutated copies show the
# check is real: a wrong type in the DaemonSet and in the PodMonitor fails, an unknown kind is
# refused rather than passed.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
lib=${TIMEWAIT_K8S_VALIDATE:-/usr/local/lib/timewait-k8s-validate}
fail() { echo "FAIL: $*"; exit 1; }
[[ -d $lib/node_modules/kubernetes-models ]] ||
  fail "no validator in $lib: run scripts/install-deps.sh test"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ES modules resolve packages from the script's own folder up.
cp "$src/deploy/kubernetes/validate.mjs" "$tmp/"
ln -s "$lib/node_modules" "$tmp/node_modules"
manifest=$src/deploy/kubernetes/timewait.yaml

out=$(node "$tmp/validate.mjs" "$manifest") || fail "manifests invalid: $out"
for kind in v1/Namespace v1/ConfigMap apps/v1/DaemonSet v1/Service \
  monitoring.coreos.com/v1/PodMonitor; do
  grep -q "$kind .*: valid$" <<<"$out" || fail "$kind not validated: $out"
done

sed 's|drop: \["ALL"\]|drop: ALL|' "$manifest" >"$tmp/bad-type.yaml"
out=$(node "$tmp/validate.mjs" "$tmp/bad-type.yaml") && fail "a string for capabilities.drop passed"
grep -q "capabilities/drop must be array" <<<"$out" || fail "wrong reason: $out"

sed 's|honorLabels: true|honorLabels: "yes"|' "$manifest" >"$tmp/bad-monitor.yaml"
out=$(node "$tmp/validate.mjs" "$tmp/bad-monitor.yaml") && fail "a string for honorLabels passed"
grep -q "honorLabels must be boolean" <<<"$out" || fail "wrong reason: $out"

printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n' >"$tmp/pod.yaml"
node "$tmp/validate.mjs" "$tmp/pod.yaml" >/dev/null
[[ $? == 2 ]] || fail "a kind without a schema here was not refused"
echo "ok: 5 objects valid, 3 mutations refused"
