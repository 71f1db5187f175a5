#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the integration suite once with every mmapfs daemon under valgrind's
# memcheck (`--error-exitcode=99 --leak-check=full
# --errors-for-leak-kinds=definite`), through the `valgrind` test setup of
# tests/reliability/meson.build, and the misuse and permissions suites with
# it (hostile input is where memory errors hide); then sums up the daemons'
# reports: memory errors and definitely lost blocks must both be zero.
# Usage:
#   contrib/valgrind.sh [BUILD-DIR]     (default build-valgrind, made if missing)
# The build must not use a sanitizer: valgrind cannot run ASan binaries.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build-valgrind}

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build"
fi
sanitize=$(meson introspect --buildoptions "$build" | /usr/bin/python3 -c '
import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"][0])')
if [ "$sanitize" != none ]; then
	echo "valgrind.sh: $build is built with -Db_sanitize=$sanitize; use a plain build" >&2
	exit 2
fi
meson compile -C "$build"

logs="$build/meson-logs"
rm -f "$logs"/valgrind-mmapfs.*.log
status=0
meson test -C "$build" --setup valgrind --suite integration --suite misuse --suite permissions \
	--print-errorlogs || status=$?

# One report per daemon. A daemon killed on purpose (kill -9 tests) leaves
# a report without a summary; it is counted but has nothing to add.
set -- "$logs"/valgrind-mmapfs.*.log
if [ ! -e "$1" ]; then
	echo "valgrind.sh: no valgrind reports in $logs: did the suite run?" >&2
	exit 1
fi
awk '
	FNR == 1 { daemons++ }
	/ERROR SUMMARY:/ {
		for (i = 1; i <= NF; i++)
			if ($i == "SUMMARY:")
				errors += $(i + 1)
		summaries++
	}
	/definitely lost:/ {
		for (i = 1; i <= NF; i++)
			if ($i == "lost:") {
				b = $(i + 1); n = $(i + 4)
				gsub(",", "", b); gsub(",", "", n)
				bytes += b; blocks += n
			}
	}
	END {
		printf "valgrind: %d daemons (%d with a summary), %d errors, " \
			"%d bytes definitely lost in %d blocks\n", daemons, summaries, errors, bytes, blocks
		exit (errors > 0 || blocks > 0) ? 1 : 0
	}
' "$@" || status=1
if [ "$status" -ne 0 ]; then
	grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]' "$@" 2>/dev/null |
		sed 's/^/valgrind.sh: see /' >&2 || true
fi
exit "$status"
