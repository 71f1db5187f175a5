#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks libmmapfs's export list against its public headers.

Every function a header declares with MMAPFS_EXPORT must be exported by
the shared library, and the library must export nothing else: private
helpers (region_fail, mmapfs_guard_run, ...) stay hidden behind
gnu_symbol_visibility=hidden. Usage: check-exports.py LIBRARY HEADER...
"""
import re
import subprocess
import sys


def declared(headers):
    names = set()
    for path in headers:
        text = open(path, encoding="utf-8").read()
        # MMAPFS_EXPORT <type> <name> (  -- the type may span "const char *"
        for match in re.finditer(r"MMAPFS_EXPORT\s[^;(]*?\b(mmapfs_\w+)\s*\(", text):
            names.add(match.group(1))
    return names


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library],
                         check=True, capture_output=True, text=True).stdout
    return {line.split()[2] for line in out.splitlines()
            if len(line.split()) == 3 and line.split()[1] in "TDRB"}


def main():
    library, headers = sys.argv[1], sys.argv[2:]
    want = declared(headers)
    have = exported(library)
    missing = sorted(want - have)
    extra = sorted(have - want)
    print(f"1..2")
    print(("ok" if not missing else "not ok") + " 1 every declared function is exported")
    for name in missing:
        print(f"# declared but not exported: {name}")
    print(("ok" if not extra else "not ok") + " 2 nothing undeclared is exported")
    for name in extra:
        print(f"# exported but not declared: {name}")
    if not want:
        print("# no MMAPFS_EXPORT declarations found: the check itself is broken")
        return 1
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
