# SPDX-License-Identifier: LGPL-2.1-or-later
"""The vmtouch workflows of mmapctl: resident, touch, evict and lock, on
mappings and on plain files and directories. Every count is checked
against mincore(2) of the backing file, measured here independently."""
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from tools_helpers import (MMAPCTL, PAGE, SANITIZERS, SLOW, drop_cache, info, load_pages,
                           mincore, mmapctl, mmapctl_json, runs_of)

LINE = re.compile(r"^(?P<label>.+): (?P<r>\d+)/(?P<t>\d+) pages resident \((?P<pct>[\d.]+)%\), "
                  r".+ of .+$")


def expected_bar(vector, width=60):
    """vmtouch's bar, computed from a residency vector."""
    n = len(vector)
    width = min(width, n)
    out = ""
    for b in range(width):
        part = vector[n * b // width:n * (b + 1) // width]
        out += "O" if all(part) else "o" if any(part) else " "
    return f"[{out}] {sum(vector)}/{n}"


@pytest.fixture
def patterned(cache_path):
    """A 130-page file with a known mix of resident and evicted pages."""
    path = cache_path / "patterned"
    path.write_bytes(os.urandom(130 * PAGE - 100))
    drop_cache(str(path))
    load_pages(str(path), [0, 1, 2, 3, 40, 41, 97, 129] + list(range(60, 80)))
    return str(path)


def test_resident_file_matches_mincore(patterned):
    vector = mincore(patterned)
    assert any(vector) and not all(vector)
    doc = mmapctl_json("resident", "--json", patterned)
    assert doc["page_size"] == PAGE
    (target,) = doc["targets"]
    assert target["kind"] == "file"
    assert target["path"] == patterned
    assert target["total_pages"] == 130 == len(vector)
    assert target["resident_pages"] == sum(vector) == doc["resident_pages"]
    assert target["runs"] == runs_of(vector)
    assert (target["start"], target["length"], target["first_page"]) == \
        (0, os.path.getsize(patterned), 0)

    r = mmapctl("resident", "--bar", patterned)
    assert r.returncode == 0
    line, bar = r.stdout.splitlines()
    m = LINE.match(line)
    assert m and m["label"] == patterned
    assert (int(m["r"]), int(m["t"])) == (sum(vector), 130)
    assert bar == expected_bar(vector)
    assert "O" in bar and " " in bar


def test_resident_range(patterned):
    vector = mincore(patterned)
    doc = mmapctl_json("resident", "-J", "--range", "40k:20K", patterned)
    (target,) = doc["targets"]
    assert (target["first_page"], target["total_pages"]) == (10, 5)
    assert target["resident_pages"] == sum(vector[10:15])
    # An unaligned START rounds down to its page; the end rounds up.
    doc = mmapctl_json("resident", "-J", "--range", f"{PAGE * 60 + 5}:{PAGE}", patterned)
    (target,) = doc["targets"]
    assert (target["first_page"], target["total_pages"]) == (60, 2)
    assert target["runs"] == runs_of(vector[60:62], 60)
    # A LENGTH past the end is clipped; a START past the end is an error.
    doc = mmapctl_json("resident", "-J", "--range", f"{PAGE * 128}:1G", patterned)
    assert doc["targets"][0]["total_pages"] == 2
    r = mmapctl("resident", "--range", "1G", patterned)
    assert r.returncode == 1
    assert "past the end" in r.stderr


def test_resident_directory_and_total(cache_path, patterned):
    sub = cache_path / "tree" / "sub"
    sub.mkdir(parents=True)
    (sub / "one").write_bytes(b"1" * (3 * PAGE))
    (cache_path / "tree" / "two").write_bytes(b"2" * (2 * PAGE + 1))
    (cache_path / "tree" / "empty").write_bytes(b"")
    os.symlink(patterned, cache_path / "tree" / "link")
    doc = mmapctl_json("resident", "-J", cache_path / "tree")
    paths = [t["path"] for t in doc["targets"]]
    # Sorted, recursive, symbolic links not followed.
    assert paths == [str(cache_path / "tree" / p) for p in ["empty", "sub/one", "two"]]
    for t in doc["targets"]:
        vector = mincore(t["path"])
        assert (t["resident_pages"], t["total_pages"]) == (sum(vector), len(vector))
    assert doc["total_pages"] == 0 + 3 + 3
    r = mmapctl("resident", cache_path / "tree")
    assert r.stdout.splitlines()[-1].startswith("total: ")


def test_touch_and_evict_file(patterned):
    r = mmapctl("evict", patterned)
    assert r.returncode == 0, r.stderr
    assert sum(mincore(patterned)) == 0
    m = LINE.match(r.stdout.strip())
    assert m and int(m["r"]) == 0

    r = mmapctl("touch", patterned)
    assert r.returncode == 0, r.stderr
    assert all(mincore(patterned))
    m = LINE.match(r.stdout.strip())
    assert m and (int(m["r"]), int(m["t"])) == (130, 130)

    # Evicting a range leaves the rest.
    assert mmapctl("evict", "--quiet", "--range", "16k:40k", patterned).stdout == ""
    vector = mincore(patterned)
    assert not any(vector[4:14])
    assert all(vector[:4]) and all(vector[14:])

    drop_cache(patterned)
    assert mmapctl("touch", "-q", "-r", "64k:8k", patterned).returncode == 0
    vector = mincore(patterned)
    assert all(vector[16:18])


def test_touch_and_evict_mapping(start_mount, patterned):
    m = start_mount("--map", f"p={patterned},access=read")
    r = mmapctl("evict", m.node("p"))
    assert r.returncode == 0, r.stderr
    assert sum(mincore(patterned)) == 0
    assert info(m.node("p"))["resident_pages"] == "0"
    doc = mmapctl_json("resident", "-J", m.node("p"))
    assert (doc["resident_pages"], doc["total_pages"]) == (0, 130)
    assert doc["targets"][0]["kind"] == "mapping"

    r = mmapctl("touch", "--range", "8k:12k", m.node("p"))
    assert r.returncode == 0, r.stderr
    vector = mincore(patterned)
    assert all(vector[2:5])
    doc = mmapctl_json("resident", "-J", m.node("p"))
    assert doc["targets"][0]["runs"] == runs_of(vector)
    assert doc["resident_pages"] == sum(vector) == int(info(m.node("p"))["resident_pages"])

    r = mmapctl("touch", m.path)
    assert r.returncode == 0
    assert all(mincore(patterned))
    r = mmapctl("resident", "--bar", m.path)
    assert r.stdout.splitlines()[1] == expected_bar([True] * 130)

    # Pages that the daemon never mapped are evicted too.
    r = mmapctl("evict", m.node("p", "data"))
    assert r.returncode == 0, r.stderr
    assert sum(mincore(patterned)) == 0


def test_lock_file_holds_until_signalled(patterned):
    proc = subprocess.Popen([MMAPCTL, "lock", patterned], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = LINE.match(line.strip())
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        assert proc.poll() is None
        # AddressSanitizer turns mlock(2) into a no-op, so only a plain
        # build can show the pages locked.
        if "address" not in SANITIZERS:
            assert (int(m["r"]), int(m["t"])) == (130, 130)
            with open(f"/proc/{proc.pid}/status") as f:
                locked_kb = int(re.search(r"VmLck:\s+(\d+) kB", f.read()).group(1))
            assert locked_kb * 1024 >= os.path.getsize(patterned)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10 * SLOW) == 0
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    r = mmapctl("lock", "--unlock", patterned)
    assert r.returncode == 1
    assert "stop that process" in r.stderr


def run_on_pty(args):
    """Runs mmapctl with stdout and stderr on a terminal; returns all it wrote."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(MMAPCTL, [MMAPCTL, *args])
    out = b""
    deadline = time.monotonic() + 60 * SLOW
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_progress_bar_only_on_a_terminal(cache_path):
    big = cache_path / "big"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    drop_cache(str(big))
    status, out = run_on_pty(["touch", str(big)])
    assert status == 0, out
    assert re.search(r"\rtouch \[#*\s*\] +\d+% ", out), out
    assert "100%" in out
    assert all(mincore(str(big)))

    r = mmapctl("evict", big)
    assert r.returncode == 0
    assert "\r" not in r.stdout + r.stderr
    assert r.stderr == ""
    assert sum(mincore(str(big))) == 0

    # Small work draws no bar even on a terminal.
    small = cache_path / "small"
    small.write_bytes(b"s" * PAGE)
    status, out = run_on_pty(["touch", str(small)])
    assert status == 0 and "\r" not in out.replace("\r\n", "\n")
