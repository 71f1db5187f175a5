#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the tools suite (the test files given as arguments) under pytest.

Exits 77, meson's SKIP, when this machine cannot mount FUSE filesystems;
otherwise pytest's status, except that "no tests collected" is a failure.
"""
import os
import shutil
import sys


def fuse_usable():
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
    except OSError as e:
        return f"/dev/fuse cannot be opened: {e.strerror}"
    os.close(fd)
    if shutil.which("fusermount3") is None:
        return "no fusermount3"
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    reason = fuse_usable()
    if reason is not None:
        print(f"tools suite skipped: {reason}")
        return 77
    import pytest

    files = [os.path.join(here, f) for f in sys.argv[1:]]
    if not files:
        print("runner.py: name the test files to run", file=sys.stderr)
        return 2
    status = pytest.main(["-v", "-rs", "-p", "no:cacheprovider", "--rootdir", here] + files)
    # 5 is "no tests collected": a suite that tests nothing must not pass.
    return 1 if status == 5 else int(status)


if __name__ == "__main__":
    sys.exit(main())
