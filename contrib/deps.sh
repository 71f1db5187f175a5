#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs, from Debian's archive, whatever the build, the demo and the
# tests need and this machine lacks. Run as root; does nothing when all is
# there already.
set -eu

packages="meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev libfuse3-dev fuse3
python3 python3-pytest python3-docutils libjson-glib-dev clang libclang-rt-14-dev valgrind
util-linux procps coreutils bash-completion man-db groff-base"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing Debian packages:$missing; run this script as root" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
