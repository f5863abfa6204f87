#!/bin/sh
# A base image made from Debian packages, for engines that can reach no image
# registry: Debian bookworm (minbase) with Python 3.11, and a virtualenv at /usr/local
# (python, pip, setuptools, wheel there) as the official python:3.11-slim has.
#   tests/containers/base-image.sh [NAME]     (default localhost/feedsvc-base:bookworm)
# Imported into podman, and into docker when its daemon answers. About four minutes.
set -eu
name=${1:-localhost/feedsvc-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/feedsvc-base.XXXXXX)
trap 'umount "$root/opt/pypi" "$root/opt/pypi-more" 2>/dev/null || true; rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$root" "$mirror" >/dev/null
cp /etc/resolv.conf "$root/etc/resolv.conf"
# pip as this machine has it configured (its indexes, local ones included).
for folder in /opt/pypi /opt/pypi-more; do  # (where it cannot mount: PyPI alone)
    if [ -d "$folder" ]; then
        mkdir -p "$root$folder" && { mount --bind "$folder" "$root$folder" || true; }
    fi
done
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
# This machine's certificate authorities for pip's own step (a proxy may sign for
# PyPI); the image keeps Debian's.
bundle=/etc/ssl/certs/ca-certificates.crt
cp "$root$bundle" "$root$bundle.debian"
cp "$bundle" "$root$bundle"
chroot "$root" python3 -m venv /usr/local
chroot "$root" /usr/local/bin/pip install --quiet --disable-pip-version-check setuptools wheel
mv "$root$bundle.debian" "$root$bundle"
rm -f "$root/etc/pip.conf"
for folder in /opt/pypi /opt/pypi-more; do umount "$root$folder" 2>/dev/null || true; done
rm -rf "$root/opt/pypi" "$root/opt/pypi-more" "$root/var/cache/apt/archives"/*.deb
: > "$root/etc/resolv.conf"
tar -C "$root" -c . | podman import --change 'CMD ["python3"]' - "$name" >/dev/null
if docker info >/dev/null 2>&1; then
    podman push --quiet "$name" "docker-daemon:$name"
fi
echo "$name"
