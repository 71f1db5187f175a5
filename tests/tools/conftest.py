# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures of the tools suite (helpers in tools_helpers.py).

start_mount(*args) mounts `mmapfs -f ARGS MNT` and undoes every mount at
the end of the test, failing it when the daemon died or logged a warning,
a critical or a sanitizer report; lorem is a private copy of
contrib/lorem.txt; mnt is a mount with that copy mapped as `lorem`;
cache_path is tmp_path, or a directory like it on a filesystem whose
pages can be evicted when tmp_path is on a tmpfs.
"""
import os
import pathlib
import shutil
import tempfile

import pytest

from places import MEMORY_FS, fs_type, page_cache_tmp, why_no_page_cache
from tools_helpers import BAD_STDERR, LOREM, Mount


@pytest.fixture
def start_mount(tmp_path):
    """start_mount(*args) mounts mmapfs with args; every mount is undone at the end."""
    mounts = []

    def start(*args, subdir=None):
        where = tmp_path / (subdir or f"m{len(mounts)}")
        where.mkdir(exist_ok=True)
        m = Mount(where, list(args))
        mounts.append(m)
        return m

    yield start
    problems = []
    for m in mounts:
        died = not m.alive() and not getattr(m, "killed_by_test", False)
        m.stop()
        text = m.stderr()
        if died:
            problems.append(f"mmapfs died during the test (status {m.proc.returncode}): {text}")
        elif BAD_STDERR.search(text):
            problems.append(f"mmapfs logged a warning or worse: {text}")
    if problems:
        pytest.fail("\n".join(problems))


@pytest.fixture
def cache_path(tmp_path):
    """A fresh directory for files whose page-cache state a test checks."""
    if fs_type(tmp_path) not in MEMORY_FS:
        yield tmp_path
        return
    base = page_cache_tmp()
    if base is None:
        pytest.skip(why_no_page_cache())
    path = tempfile.mkdtemp(prefix='mmapfs-tools-', dir=base)
    try:
        yield pathlib.Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def lorem(tmp_path):
    """A private copy of contrib/lorem.txt, written back to disk."""
    path = tmp_path / "lorem.txt"
    shutil.copyfile(LOREM, path)
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return str(path)


@pytest.fixture
def mnt(start_mount, lorem):
    """A mount with lorem.txt mapped as `lorem`."""
    return start_mount("--map", f"lorem={lorem}")


