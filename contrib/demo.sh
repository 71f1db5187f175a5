#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's first command. Installs what is missing (Debian packages
# only), builds mmapfs in build/ of this tree, mounts a working copy of
# contrib/lorem.txt in a temporary folder (the file in the tree is never
# touched) and takes a short tour, printing each command before its
# output. On a terminal it then stays mounted until Ctrl-C; otherwise it
# unmounts after the tour. It always unmounts and stops the daemon.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/deps.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmapfs-demo.XXXXXX")
mnt=$tmp/mnt
pid=""

cleanup () {
	trap - EXIT INT TERM
	cd /
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" 2>/dev/null || true
	fi
	if [ -n "$pid" ]; then
		# Unmounting ends the daemon; give it a moment, then insist.
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -TERM "$pid" 2>/dev/null && sleep 1 && kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "demo: building in $top/build (log: $tmp/build.log)"
{
	if [ -f build/build.ninja ]; then
		meson setup --reconfigure build
	else
		meson setup build
	fi
	meson compile -C build
} >"$tmp/build.log" 2>&1 || {
	cat "$tmp/build.log"
	echo "demo: the build failed" >&2
	exit 1
}

mkdir "$mnt"
cp contrib/lorem.txt "$tmp/lorem.txt"
build/fs/mmapfs -f --map lorem="$tmp/lorem.txt" "$mnt" 2>"$tmp/mmapfs.log" &
pid=$!

# Wait for the mount, as long as the daemon lives.
i=0
until mountpoint -q "$mnt"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		cat "$tmp/mmapfs.log" >&2
		echo "demo: mmapfs exited before mounting" >&2
		pid=""
		exit 1
	fi
	if [ "$i" -ge 100 ]; then
		echo "demo: $mnt was not mounted after 10 seconds" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done

show () {
	printf '\n$ %s\n' "$*"
	eval "$*"
}

echo "demo: mmapfs mounted $tmp/lorem.txt as $mnt/lorem"
cd "$mnt"
show ls -la
show ls -l lorem
show cat lorem/info
show 'echo sequential > lorem/advise'
show cat lorem/advise
show 'dd if=lorem/data bs=1 skip=28 count=27 status=none; echo'
show cat lorem/resident
show 'echo > lorem/flush; echo pageout > lorem/advise; cat lorem/resident'
show cat .control
cd /

if [ -t 0 ] && [ -t 1 ]; then
	printf '\ndemo: %s stays mounted; explore it from another shell. Ctrl-C unmounts.\n' "$mnt"
	wait "$pid" || true
	pid=""
fi
exit 0
