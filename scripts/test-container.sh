#!/usr/bin/env bash
# npm run test:container: builds the Dockerfile with podman and runs the image the way
# deploy/k8s/deployment.yaml does (uid 10001, read-only root, every capability dropped,
# no-new-privileges), then runs the Deployment itself with `podman kube play`, and checks what
# each answers. No Docker engine and nothing from Docker Hub: the base image is made locally
# (scripts/container/base-image.sh) and reused while its recipe is unchanged.
# Every request is sent from inside the container to its own loopback (scripts/container/probe.mjs):
# no published port, nothing leaves the machine. Ends with "N passed, N failed"; exit 1 on a failure.
# Settings (environment): MAYFLY_CT_KEEP=1 keeps the containers for a look after the run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS
IMAGE=localhost/mayfly:test
CTR="mayfly-ct-$$"
CTR_USER="mayfly-ct-user-$$"
KUBE_YAML="$(mktemp /tmp/mayfly-kube.XXXXXX.yaml)"
PROBE="$(cat scripts/container/probe.mjs)"
PHOTO=node_modules/@vladmandic/face-api/demo/sample1.jpg
EFFECT=royal-crown
GRACE_S=30   # terminationGracePeriodSeconds of the Deployment
passed=0
failed=0
declare -a timings=()

log() { printf '[container %4ds] %s\n' "$((SECONDS - started))" "$*"; }
check() { # name, then a command whose success is the check
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "ok - $name"; else failed=$((failed + 1)); echo "not ok - $name"; fi
}
timed() { timings+=("$(printf '%-28s %4d s' "$1" "$2")"); }
# podman prints a CNI warning on every call where netavark is the backend; it is noise here.
# Without systemd (containers, CI) podman cannot schedule healthcheck timers and says so on every
# start; `podman healthcheck run` below runs the check itself.
pm() { podman "$@" 2> >(grep -v -e 'Error validating CNI config' -e 'unable to get systemd connection' >&2); }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const f=new Function("v","return ("+process.argv[1]+")");const r=f(v);console.log(typeof r==="string"?r:JSON.stringify(r))})' "$1"; }

cleanup() {
  if [ "${MAYFLY_CT_KEEP:-}" != 1 ]; then
    podman rm -f -t 0 "$CTR" "$CTR_USER" >/dev/null 2>&1 || true
    if [ -s "$KUBE_YAML" ]; then podman kube down "$KUBE_YAML" >/dev/null 2>&1 || true; fi
    podman secret rm mayfly-api-keys >/dev/null 2>&1 || true
    podman volume rm -f mayfly-api-keys >/dev/null 2>&1 || true
  fi
  rm -f "$KUBE_YAML" "$KUBE_YAML.conf" "$KUBE_YAML.secret"
  [ -n "${secret_dir:-}" ] && rm -rf "$secret_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Tools, from Debian's packages when missing. catatonit: podman's pause image for kube play.
t=$SECONDS
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/libexec/podman/catatonit ] || [ -x /usr/bin/catatonit ] || need+=(catatonit)
dpkg -s netavark >/dev/null 2>&1 || need+=(netavark aardvark-dns iptables)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
log "$(podman --version), $(runc --version | head -n 1)"
timed "tools" $((SECONDS - t))

# 2. The base image (made once, then reused).
t=$SECONDS
base_id="$(bash scripts/container/base-image.sh 2> >(grep -v 'Error validating CNI config' >&2))"
timed "base image" $((SECONDS - t))

# 3. The host's quirks, found by trying: the runtime (crun refuses some VMs' hybrid cgroups; runc
# does not), and ulimits only where the runtime's defaults cannot be set (raising a hard limit
# needs a privilege the sandbox may not give: then the largest value that can be set is used).
t=$SECONDS
runtime=()
ulimits=()
try_run() { pm run --rm --network none "${runtime[@]}" "${ulimits[@]}" "$base_id" true 2>&1; }
out="$(try_run)" || true
if [ -n "$out" ] && [ "$(pm info --format '{{.Host.OCIRuntime.Name}}')" != runc ] && command -v runc >/dev/null; then
  runtime=(--runtime runc)
  log "the default runtime failed ($(echo "$out" | tail -n 1 | cut -c1-100)); using runc"
  out="$(try_run)" || true
fi
declare -A limit_value=()
for limit in nofile nproc; do
  case $limit in nofile) type=7; value="$(ulimit -Hn)" ;; nproc) type=6; value="$(ulimit -Hu)" ;; esac
  [ "$value" = unlimited ] && value=1048576
  tries=0
  while echo "$out" | grep -q "rlimit type $type" && [ $tries -lt 8 ]; do
    limit_value[$limit]=$value
    ulimits=()
    for l in "${!limit_value[@]}"; do ulimits+=("--ulimit=$l=${limit_value[$l]}:${limit_value[$l]}"); done
    out="$(try_run)" || true
    value=$((value / 2)); tries=$((tries + 1))
  done
done
if [ -n "$out" ]; then echo "$out" >&2; log "cannot start a container on this host"; exit 1; fi
log "runtime: ${runtime[*]:-default}; ulimits: ${ulimits[*]:-default}"
timed "host probe" $((SECONDS - t))

# 4. The image. --format docker: OCI images have no HEALTHCHECK. --network host: the build
# reaches the npm registry as the host does. The host's npm CA bundle (TLS inspection) goes in as
# build secrets, mounted read-only for the npm ci step only.
t=$SECONDS
secret_args=()
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ "$cafile" != undefined ] && [ -f "$cafile" ]; then
  secret_dir="$(mktemp -d /tmp/mayfly-npm-secrets.XXXXXX)"
  printf 'cafile=/run/secrets/npm_ca\n' >"$secret_dir/npmrc"
  secret_args=(--secret "id=npm_ca,src=$cafile" --secret "id=npmrc,src=$secret_dir/npmrc")
  log "build: the host's npm cafile ($cafile) is given as a build secret"
fi
log "podman build --format docker ${runtime[*]} ${ulimits[*]} (log: /tmp/mayfly-ct-build.log)"
if ! pm build --format docker --network host --pull=never "${runtime[@]}" "${ulimits[@]}" "${secret_args[@]}" \
  --build-arg "BASE_IMAGE=$base_id" -t "$IMAGE" . >/tmp/mayfly-ct-build.log 2>&1; then
  tail -n 40 /tmp/mayfly-ct-build.log >&2
  log "build failed"; exit 1
fi
build_s=$((SECONDS - t))
timed "image build" $build_s
size_mb=$(( $(pm image inspect --format '{{.Size}}' "$IMAGE") / 1000000 ))
log "image $IMAGE: $size_mb MB ($(pm image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-12)), base $(echo "$base_id" | cut -c1-12)"
if grep -qi 'tfjs-node' /tmp/mayfly-ct-build.log; then log "build log on tfjs-node: $(grep -i 'tfjs-node' /tmp/mayfly-ct-build.log | head -n 2 | tr '\n' ' ' | cut -c1-200)"; fi

# 5. What the image declares.
t=$SECONDS
image_user="$(pm image inspect --format '{{.Config.User}}' "$IMAGE")"
check "image USER is numeric ($image_user) and is 10001:10001 as in the manifests" test "$image_user" = "10001:10001"
healthcheck="$(pm image inspect "$IMAGE" | json 'JSON.stringify(v[0].Healthcheck?.Test ?? null)')"  || true
check "image keeps its HEALTHCHECK (docker format): ${healthcheck:0:60}…" test "$healthcheck" != null
check "image pins TFJS_BACKEND=wasm" bash -c "podman image inspect --format '{{.Config.Env}}' '$IMAGE' 2>/dev/null | grep -q 'TFJS_BACKEND=wasm'"
check "image exposes the metrics port 9090" bash -c "podman image inspect --format '{{.Config.ExposedPorts}}' '$IMAGE' 2>/dev/null | grep -q 9090"
tools_found="$(pm run --rm --network none "${runtime[@]}" "${ulimits[@]}" "$IMAGE" sh -c 'for t in gcc g++ cc make python3; do command -v $t; done; ls /run/secrets 2>/dev/null; ls /root/.npmrc 2>/dev/null; true')" || true
check "no compiler toolchain, no build secret in the image (${tools_found:-none found})" test -z "$tools_found"
own_uid="$(pm run --rm --name "$CTR_USER" --network none --read-only "${runtime[@]}" "${ulimits[@]}" "$IMAGE" node -p 'process.getuid()+":"+process.getgid()')" || true
check "run without --user, the image's own user is $own_uid" test "$own_uid" = "10001:10001"

# 6. Run it as the Deployment does. --read-only-tmpfs=false: podman would otherwise add writable
# tmpfs on /tmp, /var/tmp and /run, which Kubernetes does not. --ipc none and a read-only
# /dev/mqueue: no writable IPC filesystem either (the service uses neither; Kubernetes gives every
# pod both, in memory: the kube play run below shows them).
KEY="ct-$(openssl rand -hex 16)"
pm run -d --name "$CTR" --network none --ipc none --tmpfs /dev/mqueue:ro "${runtime[@]}" "${ulimits[@]}" \
  --user 10001:10001 --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
  -e "API_KEYS=ci:$KEY" -e POOL_SIZE=2 -e QUEUE_DEPTH=2 -e SHUTDOWN_GRACE_MS=20000 -e LOG_LEVEL=warn \
  "$IMAGE" >/dev/null
probe() { pm exec -i -e "PROBE_KEY=$KEY" "$1" node --input-type=module -e "$PROBE" -- "${@:2}"; }
ready=""
t_ready=$SECONDS
for _ in $(seq 1 120); do
  ready="$(probe "$CTR" get /readyz </dev/null 2>/dev/null || true)"
  [ "$(echo "$ready" | json 'v.status' 2>/dev/null)" = 200 ] && break
  if [ "$(pm inspect --format '{{.State.Running}}' "$CTR")" != true ]; then pm logs "$CTR" | tail -n 20 >&2; break; fi
  sleep 1
done
log "/readyz after $((SECONDS - t_ready)) s: $ready"
check "/readyz answers 200" test "$(echo "$ready" | json 'v.status')" = 200

ident="$(probe "$CTR" identity </dev/null)" || true
log "process 1: $ident"
check "runs as uid/gid 10001 (kernel's view of the main process)" test "$(echo "$ident" | json 'v.uid.split("\t")[0]+":"+v.gid.split("\t")[0]')" = "10001:10001"
check "no capabilities (effective, permitted, bounding, ambient all 0)" test "$(echo "$ident" | json '[v.capEff,v.capPrm,v.capBnd,v.capAmb,v.capInh].every(c=>/^0+$/.test(c))')" = true
check "no-new-privileges (NoNewPrivs 1)" test "$(echo "$ident" | json 'v.noNewPrivs')" = 1
check "root filesystem mounted read-only" test "$(echo "$ident" | json 'v.rootMountOptions.split(",")[0]')" = ro
check "podman reports ReadonlyRootfs" test "$(pm inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$CTR")" = true

t_write=$SECONDS
wr="$(probe "$CTR" writable </dev/null)" || true
log "write attempts: $(echo "$wr" | json '`${v.dirs} folders, ${v.files} files tried; written: ${v.writable.length ? v.writable.slice(0, 10).join("; ") : "nothing"}; HOME=${v.home}, TMPDIR=${v.tmpdir}`') ($((SECONDS - t_write)) s)"
check "nothing writable anywhere (a file and a folder tried in every directory, every file opened for writing)" \
  test "$(echo "$wr" | json 'v.writable.length === 0 && v.dirs > 100 && v.files > 1000')" = true

lm="$(probe "$CTR" post /v1/landmarks <"$PHOTO")" || true
log "POST /v1/landmarks: $(echo "$lm" | json '`${v.status} ${v.contentType}, ${v.faces} face(s), ${v.ms} ms`')"
check "landmark request: 200 with a face" test "$(echo "$lm" | json 'v.status === 200 && v.faces >= 1')" = true
fx="$(probe "$CTR" post "/v1/effects/$EFFECT" <"$PHOTO")" || true
log "POST /v1/effects/$EFFECT: $(echo "$fx" | json '`${v.status} ${v.contentType}, ${v.bytes} bytes, ${v.ms} ms${v.body ? " " + v.body.slice(0, 300) : ""}`')"
check "effect request: 200 with an image" test "$(echo "$fx" | json 'v.status === 200 && v.contentType.startsWith("image/") && v.bytes > 1000')" = true
unauth="$(pm exec -i "$CTR" node --input-type=module -e "$PROBE" -- post /v1/landmarks <"$PHOTO")" || true
check "without a key: 401 ($(echo "$unauth" | json 'v.status'))" test "$(echo "$unauth" | json 'v.status')" = 401
metrics="$(probe "$CTR" get http://127.0.0.1:9090/metrics </dev/null)" || true
check "metrics port 9090 answers /metrics ($(echo "$metrics" | json 'v.status'))" test "$(echo "$metrics" | json 'v.status')" = 200

hc_out="$(pm healthcheck run "$CTR" 2>&1)" && hc=0 || hc=$?
check "HEALTHCHECK command passes (podman healthcheck run: exit $hc ${hc_out:-healthy})" test "$hc" = 0

t_stop=$SECONDS
pm kill --signal TERM "$CTR" >/dev/null
code="$(timeout "$GRACE_S" podman wait "$CTR" 2>/dev/null || echo timeout)"
stop_s=$((SECONDS - t_stop))
log "SIGTERM: exit code $code after $stop_s s"
check "SIGTERM: exit 0 within the ${GRACE_S} s grace period" test "$code" = 0
timed "run and checks" $((SECONDS - t))
pm rm -f -t 0 "$CTR" >/dev/null 2>&1 || true

# 7. The Deployment through `podman kube play`: deploy/k8s/deployment.yaml with the image named
# in kustomization.yaml and the Secret of secrets.example.yaml (a fresh key's hash in it), made
# with `podman secret create` (see scripts/container/kube-manifest.mjs for why).
t=$SECONDS
KUBE_KEY="kp-$(openssl rand -hex 16)"
image_ref="$(node scripts/container/kube-manifest.mjs "$KUBE_KEY" "$KUBE_YAML" "$KUBE_YAML.secret")"
pm tag "$IMAGE" "$image_ref"
# Leftovers of an interrupted run: kube play would reuse a stale Secret's volume.
podman secret rm mayfly-api-keys >/dev/null 2>&1 || true
podman volume rm -f mayfly-api-keys >/dev/null 2>&1 || true
pm secret create mayfly-api-keys "$KUBE_YAML.secret" >/dev/null
log "podman kube play deploy/k8s (Deployment + Secret), image $image_ref"
# kube play takes no --ulimit: the same limits go in through a containers.conf of this run.
kube_env=()
if [ ${#ulimits[@]} -gt 0 ]; then
  printf '[containers]\ndefault_ulimits = [%s]\n' "$(printf '"%s",' "${ulimits[@]#--ulimit=}" | sed 's/,$//')" >"$KUBE_YAML.conf"
  kube_env=(env "CONTAINERS_CONF=$KUBE_YAML.conf")
fi
if ! "${kube_env[@]}" podman "${runtime[@]}" kube play --network none "$KUBE_YAML" >/tmp/mayfly-ct-kube.log 2>&1; then
  grep -v -e 'Error validating CNI config' -e 'unable to get systemd connection' /tmp/mayfly-ct-kube.log >&2
fi
mapfile -t pods < <(pm ps --filter "label=app.kubernetes.io/name=mayfly" --format '{{.Names}}' | grep -- '-mayfly$' || true)
replicas="$(node -e 'const y=require("yaml");console.log(y.parseAllDocuments(require("fs").readFileSync(process.argv[1],"utf8")).map(d=>d.toJS()).find(d=>d.kind==="Deployment").spec.replicas)' "$KUBE_YAML")"
log "kube play started: ${pods[*]:-nothing} (the Deployment asks for $replicas replicas)"
check "kube play started one container per replica (${#pods[@]} of $replicas)" test "${#pods[@]}" = "$replicas"
kprobe() { pm exec -i -e "PROBE_KEY=$KUBE_KEY" "$1" node --input-type=module -e "$PROBE" -- "${@:2}"; }
for kctr in "${pods[@]}"; do
  kready=""
  for _ in $(seq 1 180); do
    kready="$(kprobe "$kctr" get /readyz </dev/null 2>/dev/null || true)"
    [ "$(echo "$kready" | json 'v.status' 2>/dev/null)" = 200 ] && break
    sleep 1
  done
  log "kube play $kctr /readyz: $(echo "$kready" | json 'v.status+" "+v.body' 2>/dev/null || echo "$kready")"
  check "kube play $kctr: /readyz answers 200" test "$(echo "$kready" | json 'v.status' 2>/dev/null)" = 200
done
if [ ${#pods[@]} -ge 1 ]; then
  kctr="${pods[0]}"
  kident="$(kprobe "$kctr" identity </dev/null)" || true
  log "kube play process 1: $kident"
  check "kube play: uid 10001, no capabilities, no-new-privileges, read-only root" \
    test "$(echo "$kident" | json 'v.uid.split("\t")[0]==="10001" && /^0+$/.test(v.capEff) && /^0+$/.test(v.capBnd) && v.noNewPrivs==="1" && v.rootMountOptions.startsWith("ro")')" = true
  kwr="$(kprobe "$kctr" writable </dev/null)" || true
  log "kube play write attempts: $(echo "$kwr" | json '`${v.dirs} folders, ${v.files} files; written: ${v.writable.join("; ") || "nothing"}`')"
  check "kube play: nothing writable but the pod's in-memory IPC filesystems (/dev/shm, /dev/mqueue)" \
    test "$(echo "$kwr" | json 'v.dirs > 100 && v.writable.every(w => / \/dev\/(shm|mqueue)(\/|$)/.test(w))')" = true
  klm="$(kprobe "$kctr" post /v1/landmarks <"$PHOTO")" || true
  log "kube play POST /v1/landmarks: $(echo "$klm" | json '`${v.status}, ${v.faces} face(s), ${v.ms} ms${v.status === 200 ? "" : " " + v.body}`')"
  check "kube play: landmark request with the Secret's hashed key: 200 with a face" test "$(echo "$klm" | json 'v.status === 200 && v.faces >= 1')" = true
fi
timed "kube play" $((SECONDS - t))

# The build's intermediate images (~1 GB a run) would pile up on a machine that runs this often.
pm image prune -f >/dev/null || true

echo "timings:"
printf '  %s\n' "${timings[@]}"
printf '  %-28s %4d s\n' total $((SECONDS - started))
echo "image size: $size_mb MB"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
