#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python target of mmapfs-bench: sequential slices of Python's mmap.

Maps FILE read-only with Python's own mmap module and times
``m[i:i + CHUNK]`` over the whole file, which is what a Python program
reading a mapped file does (each slice is a new bytes object: a copy out
of the mapping). Prints ``BYTES SECONDS BYTES_PER_SECOND`` on one line;
mmapfs-bench checks BYTES against the file's size.

Only the loop is timed: interpreter start-up and the mmap call itself are
not part of the per-byte cost being compared.
"""

import mmap
import sys
import time


def main():
    if len(sys.argv) != 3:
        print("usage: bench-python.py FILE CHUNK", file=sys.stderr)
        return 2
    path, chunk = sys.argv[1], int(sys.argv[2])
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        size = len(m)
        total = 0
        start = time.perf_counter()
        for i in range(0, size, chunk):
            total += len(m[i:i + chunk])
        seconds = time.perf_counter() - start
    print(f"{total} {seconds:.9f} {total / seconds:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
