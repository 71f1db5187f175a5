# SPDX-License-Identifier: LGPL-2.1-or-later
"""find and rfind against Python's own mmap.find()/rfind() and re, on a
mapping (its data read through the mount) and on a plain file, including
negative and out-of-range bounds, empty needles, matches across the
1 MiB chunks mmapctl reads, --hex and --regex."""
import mmap
import os
import re

import pytest

from tools_helpers import mmapctl, mmapctl_json

BOUNDS = [None, 0, 1, 5, -1, -3, -25, 12, 10**6, -10**6]


def python_answer(path, needle, start, end, reverse):
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        find = m.rfind if reverse else m.find
        if start is None:
            return find(needle)
        if end is None:
            return find(needle, start)
        return find(needle, start, end)
    finally:
        m.close()


def mmapctl_answer(target, needle, start, end, reverse):
    args = ["rfind" if reverse else "find"]
    if start is not None:
        args.append(f"--start={start}")
    if end is not None:
        args.append(f"--end={end}")
    r = mmapctl(*args, "--hex", target, needle.hex())
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small"
    path.write_bytes(b"abcabcabca" * 3 + b"xyz")
    return str(path)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("needle", [b"", b"a", b"ca", b"abcab", b"xyz", b"zz"])
def test_find_matches_python_on_a_file(small, needle, reverse):
    for start in BOUNDS:
        for end in BOUNDS if start is not None else [None]:
            expected = python_answer(small, needle, start, end, reverse)
            got = mmapctl_answer(small, needle, start, end, reverse)
            assert got == expected, (needle, start, end, reverse)


def test_find_matches_python_on_a_mapping(start_mount, small):
    m = start_mount("--map", f"small={small},access=read")
    for reverse in (False, True):
        for needle in (b"", b"ca", b"xyz", b"q"):
            for start, end in [(None, None), (3, None), (-5, None), (2, 7), (-9, -1), (9, 2)]:
                expected = python_answer(small, needle, start, end, reverse)
                assert mmapctl_answer(m.node("small"), needle, start, end, reverse) == \
                    expected, (needle, start, end, reverse)
                # The data node names the same mapping.
                assert mmapctl_answer(m.node("small", "data"), needle, start, end,
                                      reverse) == expected


def test_find_across_chunks(tmp_path):
    """Needles that straddle the 1 MiB chunks, near both ends."""
    size = 3 * 1024 * 1024 + 77
    data = bytearray(os.urandom(size))
    data = bytearray(b if b != 0x5a else 0x5b for b in data)
    needle = b"\x5a" * 9 + b"needle" + b"\x5a" * 9
    for where in (0, 1024 * 1024 - 10, 2 * 1024 * 1024 - 1, size - len(needle)):
        data[where:where + len(needle)] = needle
    path = tmp_path / "big"
    path.write_bytes(bytes(data))
    for reverse in (False, True):
        for start, end in [(None, None), (1, None), (1024 * 1024, None),
                           (0, 2 * 1024 * 1024 + 10), (-len(needle) - 1, -1)]:
            assert mmapctl_answer(str(path), needle, start, end, reverse) == \
                python_answer(str(path), needle, start, end, reverse), (start, end, reverse)


def test_find_plain_and_json(small):
    with open(small, "rb") as f:
        data = f.read()
    r = mmapctl("find", small, "cab")
    assert (r.returncode, r.stdout) == (0, "2\n")
    assert mmapctl_json("find", "--json", small, "cab") == {"index": 2, "end": 5}
    last = data.rfind(b"cab")
    assert last > 2
    assert mmapctl_json("rfind", "-J", small, "cab") == {"index": last, "end": last + 3}
    # Not finding is no failure.
    r = mmapctl("find", small, "nothing")
    assert (r.returncode, r.stdout) == (0, "-1\n")
    assert mmapctl_json("find", "-J", small, "nothing") == {"index": -1, "end": None}
    # Colons and blanks may separate hex bytes.
    assert mmapctl_json("find", "-J", "--hex", small, "63:61 62") == {"index": 2, "end": 5}


@pytest.mark.parametrize("pattern", [rb"c.b", rb"a+", rb"(ab|ca)+", rb"x?", rb"z$", rb"q"])
def test_regex_matches_python_re(small, pattern):
    with open(small, "rb") as f:
        data = f.read()
    matches = list(re.finditer(pattern, data))
    first = {"index": matches[0].start(), "end": matches[0].end()} if matches else \
        {"index": -1, "end": None}
    last = {"index": matches[-1].start(), "end": matches[-1].end()} if matches else \
        {"index": -1, "end": None}
    assert mmapctl_json("find", "-J", "--regex", small, pattern.decode()) == first
    assert mmapctl_json("rfind", "-J", "--regex", small, pattern.decode()) == last

    # With bounds, the search sees the slice Python's m[start:end] would.
    sliced = list(re.finditer(pattern, data[4:-3]))
    expected = {"index": 4 + sliced[0].start(), "end": 4 + sliced[0].end()} if sliced else \
        {"index": -1, "end": None}
    assert mmapctl_json("find", "-J", "--regex", "--start", "4", "--end=-3", small,
                        pattern.decode()) == expected


def test_needle_that_looks_like_an_option(tmp_path):
    path = tmp_path / "dashes"
    path.write_bytes(b"a-abc --x")
    r = mmapctl("find", path, "--", "-abc")
    assert (r.returncode, r.stdout) == (0, "1\n")
    r = mmapctl("rfind", "--", path, "--")
    assert (r.returncode, r.stdout) == (0, "6\n")
    assert mmapctl("find", path, "-abc").returncode == 2


def test_regex_on_raw_bytes(tmp_path):
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe\x00 header \x00\x80\x81tail")
    r = mmapctl("find", "--regex", path, r"\x00\x80+\x81")
    assert (r.returncode, r.stdout) == (0, "11\n")
