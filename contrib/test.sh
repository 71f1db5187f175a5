#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds mmapfs twice (plain, and with
# AddressSanitizer and UndefinedBehaviorSanitizer) and runs every test
# suite in both builds; then builds the libFuzzer harnesses with clang and
# runs each for its fixed number of runs. Exits non-zero when anything
# fails.
#
# Usage: contrib/test.sh [BUILD-PARENT]. The three build directories go
# into BUILD-PARENT (default: the source tree), so the source may be
# read-only. Any directory works, as may the tree: under a 0700 home, in
# a path with blanks, with any umask.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top}" && cd "${1:-$top}" && pwd)
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

# check DIR [MESON-TEST-OPTION...]: run the suites of DIR, after dropping
# the JUnit files an earlier run left, so only this run's skips are named.
check () {
	dir=$1
	shift
	rm -f "$dir"/meson-logs/pytest-*.xml
	meson test -C "$dir" --print-errorlogs "$@"
}

setup "$out/build"
check "$out/build" --num-processes 2

setup "$out/build-asan" -Db_sanitize=address,undefined -Db_lundef=false
check "$out/build-asan" --num-processes 2

CC=clang setup "$out/build-fuzz" -Dfuzz=true -Db_lundef=false
check "$out/build-fuzz" --suite fuzz

# One closing line over the three builds, counted from meson's own logs;
# tests skipped inside a pytest suite are named with their reason and
# counted too (from the JUnit file each suite leaves in meson-logs).
python3 - "$out/build" "$out/build-asan" "$out/build-fuzz" <<'PY'
import glob, json, os, sys
import xml.etree.ElementTree as ET
passed = failed = skipped = 0
inner = []
for build in sys.argv[1:]:
    with open(os.path.join(build, "meson-logs", "testlog.json")) as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    for xml in sorted(glob.glob(os.path.join(build, "meson-logs", "pytest-*.xml"))):
        for case in ET.parse(xml).iter("testcase"):
            for skip in case.iter("skipped"):
                inner.append(f"{os.path.basename(build)}: {case.get('classname')}."
                             f"{case.get('name')}: {skip.get('message')}")
for line in inner:
    print(f"skipped inside a suite: {line}")
print(f"{passed} passed, {failed} failed, {skipped} skipped"
      + (f" ({len(inner)} tests skipped inside suites)" if inner else ""))
sys.exit(1 if failed or not passed else 0)
PY
