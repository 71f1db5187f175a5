#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds mmapfs twice (plain, and with
# AddressSanitizer and UndefinedBehaviorSanitizer) and runs every test
# suite in both builds. Exits non-zero when anything fails.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/deps.sh

build_and_test () {
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
	meson compile -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2
}

build_and_test build
build_and_test build-asan -Db_sanitize=address,undefined -Db_lundef=false
