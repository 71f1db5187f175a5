#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds mmapfs twice (plain, and with
# AddressSanitizer and UndefinedBehaviorSanitizer) and runs every test
# suite in both builds; then builds the libFuzzer harnesses with clang and
# runs each for its fixed number of runs. Exits non-zero when anything
# fails.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/deps.sh

# setup DIR [MESON-OPTION...]: configure DIR afresh or reconfigure it, then build.
setup () {
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
	meson compile -C "$dir"
}

setup build
meson test -C build --print-errorlogs --num-processes 2

setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
meson test -C build-asan --print-errorlogs --num-processes 2

CC=clang setup build-fuzz -Dfuzz=true -Db_lundef=false
meson test -C build-fuzz --print-errorlogs --suite fuzz

# One closing line over the three builds, counted from meson's own logs.
python3 - build build-asan build-fuzz <<'PY'
import json, sys
passed = failed = skipped = 0
for build in sys.argv[1:]:
    with open(f"{build}/meson-logs/testlog.json") as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or not passed else 0)
PY
