#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The exporter's image (deploy/kubernetes/build-image.sh, FROM scratch with the built binary) run
# under podman the way the DaemonSet runs it: the host's PIDs, its own network namespace (one made
# here stands in for the pod's), a read-only root, every capability dropped but SYS_ADMIN and
# SYS_PTRACE, no new privileges, the host's /proc, /run/netns and /var/log/pods read-only under
# /host (--path.procfs, --path.rootfs), TLS from a web config. Scraped over TLS from inside that
# namespace: the pod's own namespace (called by its name, not "host") and the node's (entered
# with setns through a host PID, called "host") are both read. Storage, image, container and namespace are removed after.
# runc, not crun: crun refuses this machine's hybrid cgroup layout ("cgroups in hybrid mode not
# supported"); explicit ulimits, since raising RLIMIT_NOFILE to podman's default is refused here.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*"; exit 1; }
command -v podman >/dev/null || fail "podman is not installed: run scripts/install-deps.sh test"
command -v runc >/dev/null || fail "runc is not installed: run scripts/install-deps.sh test"
tmp=$(mktemp -d)
ns=twk8s-$$
name=twk8s-$$
# Every state podman and runc keep goes under $tmp, but for the image library's blob cache in
# /var/lib/containers/cache (no option moves it): removed after unless it was there before.
P=(podman --root "$tmp/storage" --runroot "$tmp/run" --tmpdir "$tmp/libpod" --storage-driver vfs
  --cgroup-manager cgroupfs --events-backend none --runtime runc --runtime-flag "root=$tmp/runc")
had_var_lib=0 had_cache=0
[[ -e /var/lib/containers ]] && had_var_lib=1
[[ -e /var/lib/containers/cache ]] && had_cache=1
cleanup() {
  ((had_cache)) || rm -rf /var/lib/containers/cache
  ((had_var_lib)) || rmdir /var/lib/containers 2>/dev/null
  "${P[@]}" rm -f -t 0 "$name" >/dev/null 2>&1
  "${P[@]}" rmi -f localhost/timewait:test >/dev/null 2>&1
  ip netns del "$ns" 2>/dev/null
  # vfs layers hold read-only directories of the image: make them removable first.
  chmod -R u+w "$tmp" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

PODMAN="${P[*]}" bash "$src/deploy/kubernetes/build-image.sh" "$TIMEWAIT" localhost/timewait:test \
  >"$tmp/build.log" 2>&1 || fail "image build: $(tail -5 "$tmp/build.log")"

# TLS as the DaemonSet gets it: a CA, a server certificate for the Service's name, a web config.
mkdir -p "$tmp/etc/tls"
(
  cd "$tmp/etc/tls" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=twk8s-ca -keyout ca.key \
      -out ca.crt &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=timewait-exporter -keyout tls.key -out tls.csr &&
    printf 'subjectAltName=DNS:timewait-exporter.timewait.svc\n' >san.ext &&
    openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out tls.crt
) >"$tmp/openssl.log" 2>&1 || fail "openssl: $(tail -3 "$tmp/openssl.log")"
printf 'tls_server_config:\n  cert_file: /etc/timewait/tls/tls.crt\n  key_file: /etc/timewait/tls/tls.key\n' \
  >"$tmp/etc/web-config.yml"
chmod -R a+rX "$tmp/etc"

mkdir -p "$tmp/pods"  # kubelet's /var/log/pods: none on this machine
ip netns add "$ns" || fail "ip netns add"
ip netns exec "$ns" ip link set lo up
"${P[@]}" run -d --name "$name" --network "ns:/run/netns/$ns" --pid host --read-only \
  --cap-drop all --cap-add SYS_ADMIN,SYS_PTRACE --security-opt no-new-privileges \
  --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  -v /run/netns:/host/run/netns:ro -v /proc:/host/proc:ro -v "$tmp/pods:/host/var/log/pods:ro" \
  -v "$tmp/etc:/etc/timewait:ro" \
  localhost/timewait:test --listen 127.0.0.1:10040 --all-netns \
  --path.procfs /host/proc --path.rootfs /host --web.config.file /etc/timewait/web-config.yml >"$tmp/run.log" 2>&1 ||
  fail "podman run: $(cat "$tmp/run.log")"

# What the container runs with, from the host: its root is read-only and its capabilities are
# exactly CAP_SYS_ADMIN (21) and CAP_SYS_PTRACE (19).
pid=$("${P[@]}" inspect -f '{{.State.Pid}}' "$name")
[[ $("${P[@]}" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$name") == true ]] || fail "root not read-only"
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
[[ $caps == 0000000000280000 ]] || fail "effective capabilities $caps, not SYS_ADMIN|SYS_PTRACE"
[[ $(awk '/^NoNewPrivs:/ {print $2}' "/proc/$pid/status") == 1 ]] || fail "no_new_privs not set"

url=https://timewait-exporter.timewait.svc:10040/metrics
for _ in $(seq 1 100); do
  ip netns exec "$ns" curl -sf --max-time 5 --cacert "$tmp/etc/tls/ca.crt" \
    --resolve timewait-exporter.timewait.svc:10040:127.0.0.1 "$url" >"$tmp/metrics" && break
  sleep 0.2
done
[[ -s $tmp/metrics ]] || fail "no scrape over TLS: $("${P[@]}" logs "$name" 2>&1 | tail -5)"
# The exporter's own namespace (the pod's: here $ns, named under the host's /run/netns) goes by
# its name; the node's is entered through a host process (hostPID, /host/proc) and is "host".
grep -q "^timewait_up{netns=\"$ns\"} 1\$" "$tmp/metrics" ||
  fail "the pod's own namespace is not up by its name: $(grep ^timewait_up "$tmp/metrics" | head -5)"
grep -q '^timewait_up{netns="host"} 1$' "$tmp/metrics" ||
  fail "the node's namespace is not up as host: $(grep ^timewait_up "$tmp/metrics" | head -5)"
grep -q 'netns="pid:' "$tmp/metrics" && fail "a pid:N label is served"
up=$(grep -c '^timewait_up{.*} 1$' "$tmp/metrics")
# Plain HTTP is refused: the web config's TLS is what serves.
ip netns exec "$ns" curl -sf --max-time 5 http://127.0.0.1:10040/metrics >/dev/null &&
  fail "plain HTTP answered"
echo "ok: image run with SYS_ADMIN|SYS_PTRACE, read-only root; $up namespaces up over TLS"
