# SPDX-License-Identifier: LGPL-2.1-or-later
"""The examples of contrib/examples: the C program built with libmmapfs
(through the 'mmapfs' dependency, as pkg-config provides it), and the
Python script that drives a mount and does the same work with Python's
mmap. Run from contrib/meson.build, which builds the C example."""
import os
import subprocess
import sys

import pytest

from tools_helpers import LOREM, SOURCE_ROOT, mmapctl_json

COUNT = os.environ.get("MMAPFS_COUNT", "")
DRIVE = os.path.join(SOURCE_ROOT, "contrib", "examples", "drive-mount.py")


@pytest.mark.parametrize("word", [b"dolor", b"Lorem", b"absent-word", b"\n"])
def test_count_example_agrees_with_python(word):
    assert os.access(COUNT, os.X_OK), "the C example was not built"
    r = subprocess.run([COUNT, LOREM, word.decode()], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(LOREM, "rb") as f:
        text = f.read()
    assert r.stdout.startswith(
        f"{LOREM}: {len(text)} bytes, {word.decode()}: {text.count(word)} times, "
        f"first at {text.find(word)}, last at {text.rfind(word)}, ")
    assert r.stdout.endswith(" pages resident\n")


def test_count_example_reports_errors(tmp_path):
    r = subprocess.run([COUNT, str(tmp_path / "missing"), "x"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "(ENOENT)" in r.stderr
    (tmp_path / "empty").write_bytes(b"")
    r = subprocess.run([COUNT, str(tmp_path / "empty"), "x"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "(EINVAL)" in r.stderr
    r = subprocess.run([COUNT], capture_output=True, text=True)
    assert r.returncode == 2


def test_python_example_drives_a_mount(start_mount, lorem):
    m = start_mount()
    with open(lorem, "rb") as f:
        original = f.read()
    r = subprocess.run([sys.executable, DRIVE, m.path, lorem], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all steps agree" in r.stdout
    assert "<- differ" not in r.stdout
    # The work is in the file: both writes, and both moves.
    with open(lorem, "rb") as f:
        now = f.read()
    assert now[0:5] == b"HELLO" and now[6:11] == b"WORLD"
    assert now[100:105] == b"WORLD"
    assert now[11:100] == original[11:100] and now[105:] == original[105:]
    # It unmapped what it mapped.
    assert mmapctl_json("list", "--json", m.path)["mappings"] == []


def test_python_example_reports_a_refused_map(start_mount, tmp_path):
    m = start_mount()
    r = subprocess.run([sys.executable, DRIVE, m.path, str(tmp_path / "missing")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "error: ENOENT:" in r.stderr
