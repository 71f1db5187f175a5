#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Drive an mmapfs mount from Python, and do the same work with Python's mmap.

usage: drive-mount.py MOUNT FILE

Maps FILE in MOUNT (by writing a line to MOUNT/.control), then takes the
same steps twice, once through the mount's files and once through a
Python mmap of FILE, printing both answers side by side:

  length          read NAME/size                    len(m)
  write           os.pwrite() on NAME/data          m[i:j] = ...
  read back       os.pread() on NAME/data           m[i:j]
  find            search the bytes of NAME/data     m.find()
  advise          write "sequential" to advise      m.madvise(MADV_SEQUENTIAL)
  move            write "DEST SRC COUNT" to move    m.move()
  flush           write an empty line to flush      m.flush()

Both act on the same pages (the mount's mapping is MAP_SHARED, as is the
Python one), so each side sees what the other wrote. Exits 0 when every
pair of answers agrees, 1 otherwise; the mapping is unmapped either way.
"""

import mmap
import os
import sys

NAME = "drive-mount-example"


def escape(path):
    """A path as .control wants it: blank, tab, newline, backslash as \\ooo."""
    out = bytearray()
    for byte in os.fsencode(path):
        if byte in b" \t\n\\":
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out)


def control(mount, line):
    """Writes one .control command; returns the daemon's outcome line."""
    fd = os.open(os.path.join(mount, ".control"), os.O_RDWR)
    try:
        try:
            os.write(fd, line + b"\n")
        except OSError:
            pass
        # The transaction read: "ok" or "error: ERRNAME: sentence".
        return os.read(fd, 4096).decode(errors="replace").strip()
    finally:
        os.close(fd)


def write_node(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")


def read_node(path):
    with open(path) as f:
        return f.read().strip()


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    mount, path = argv[1], os.path.abspath(argv[2])
    node = os.path.join(mount, NAME)

    outcome = control(mount, b"map %s %s access=write" % (NAME.encode(), escape(path)))
    if outcome != "ok":
        print(f"cannot map {path}: {outcome}", file=sys.stderr)
        return 1

    def pread(count, offset):
        # A fresh open for every read: with the default cache=auto the mount
        # is close-to-open, so an open sees what Python wrote before it.
        fd = os.open(os.path.join(node, "data"), os.O_RDONLY)
        try:
            return os.pread(fd, count, offset)
        finally:
            os.close(fd)

    def pwrite(chunk, offset):
        fd = os.open(os.path.join(node, "data"), os.O_WRONLY)
        try:
            return os.pwrite(fd, chunk, offset)
        finally:
            os.close(fd)

    rows = []
    try:
        with open(path, "r+b") as f:
            m = mmap.mmap(f.fileno(), 0)
        try:
            size = int(read_node(os.path.join(node, "size")))
            rows.append(("length", size, len(m)))

            # Each side writes, and each reads what the other wrote.
            pwrite(b"HELLO", 0)
            m[6:11] = b"WORLD"
            rows.append(("read back", pread(11, 0), m[0:11]))

            rows.append(("find b'dolor'", pread(size, 0).find(b"dolor"), m.find(b"dolor")))

            write_node(os.path.join(node, "advise"), "sequential")
            m.madvise(mmap.MADV_SEQUENTIAL)
            menu = read_node(os.path.join(node, "advise"))
            rows.append(("advice in effect", menu.split("[")[1].split("]")[0], "sequential"))

            # move: the mount moves 5 bytes, Python checks them, then moves others.
            write_node(os.path.join(node, "move"), "100 0 5")
            rows.append(("move 0 -> 100", pread(5, 100), m[100:105]))
            m.move(100, 6, 5)
            rows.append(("move 6 -> 100", pread(5, 100), m[100:105]))

            write_node(os.path.join(node, "flush"), "")
            m.flush()
            info = dict(line.split(": ", 1)
                        for line in read_node(os.path.join(node, "info")).splitlines())
            rows.append(("flushes counted", int(info["flushes"]) >= 1, True))
        finally:
            m.close()
    finally:
        outcome = control(mount, b"unmap %s" % NAME.encode())

    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'mmapfs':<24}  python mmap")
    agree = True
    for step, ours, theirs in rows:
        mark = "" if ours == theirs else "   <- differ"
        agree = agree and ours == theirs
        print(f"{step:<{width}}  {ours!r:<24}  {theirs!r}{mark}")
    print("unmap:", outcome)
    print("all steps agree" if agree and outcome == "ok" else "the two sides differ")
    return 0 if agree and outcome == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
