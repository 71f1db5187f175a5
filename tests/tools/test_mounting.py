# SPDX-License-Identifier: LGPL-2.1-or-later
"""Mounting the way a Linux user does: `mount -t fuse.mmapfs none MOUNT
-o map=...` and an fstab line (both through mount.fuse3), and the
systemd template unit mmapfs@.service with its mapfile.

mount(8) runs mount.fuse3 without PATH, so mount.fuse3 finds `mmapfs`
only in the standard directories. Rather than install anything, the
mount tests run in a private mount namespace (unshare -m) in which a
directory holding the build's mmapfs is bind-mounted over
/usr/local/sbin; whatever they mount vanishes with the namespace, and a
daemon left behind is killed by pid."""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

import pytest

from tools_helpers import (BUILD_ROOT, MMAPCTL, MMAPFS, SLOW, is_mounted, kill_pids,
                           mmapctl_json, pids_mentioning, unmount)


def namespace_works():
    if shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                       capture_output=True)
    return r.returncode == 0


needs_namespace = pytest.mark.skipif(not namespace_works(),
                                     reason="unshare --mount is not permitted here")


def run_in_namespace(tmp_path, script, env):
    """Runs script (sh) in a private mount namespace with mmapfs on the default PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(MMAPFS, bindir / "mmapfs")
    path = tmp_path / "script.sh"
    path.write_text("set -eu\nmount --bind \"$BIN\" /usr/local/sbin\n" + script)
    full_env = dict(os.environ, BIN=str(bindir), MMAPCTL=MMAPCTL, **env)
    try:
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh",
                               str(path)], env=full_env, capture_output=True, text=True,
                              timeout=120 * SLOW)
    finally:
        # A daemon whose mount namespace is gone has nothing left to serve.
        kill_pids(pids_mentioning(str(tmp_path)))


@needs_namespace
def test_mount_t_fuse_mmapfs(tmp_path, lorem):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    script = """
mount -t fuse.mmapfs none "$MNT" -o "map=lorem=$LOREM,cache=never,nofail"
cat "$MNT/lorem/data" > "$OUT/data"
"$MMAPCTL" list --json "$MNT" > "$OUT/list.json"
grep " $MNT " /proc/self/mounts > "$OUT/mounts"
umount "$MNT"
if grep -q " $MNT " /proc/self/mounts; then echo still mounted >&2; exit 1; fi
"""
    r = run_in_namespace(tmp_path, script, {"MNT": str(mnt), "LOREM": lorem, "OUT": str(out)})
    assert r.returncode == 0, r.stderr
    with open(lorem, "rb") as f:
        assert (out / "data").read_bytes() == f.read()
    listing = json.loads((out / "list.json").read_text())
    assert [(x["name"], x["path"], x["access"]) for x in listing["mappings"]] == \
        [("lorem", lorem, "write")]
    assert " fuse.mmapfs " in (out / "mounts").read_text()


@needs_namespace
def test_fstab_line_with_mapfile(tmp_path, lorem):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    mapfile = tmp_path / "maps.map"
    mapfile.write_text(f"# two mappings\nmap words {lorem} access=read offset=4096\n"
                       "anon scratch 1M\n")
    fstab = tmp_path / "fstab"
    fstab.write_text(f"# test fstab\nnone {mnt} fuse.mmapfs mapfile={mapfile},nofail,noauto"
                     " 0 0\n")
    script = """
mount --fstab "$FSTAB" "$MNT"
"$MMAPCTL" list --json "$MNT" > "$OUT/list.json"
umount "$MNT"
"""
    r = run_in_namespace(tmp_path, script, {"MNT": str(mnt), "FSTAB": str(fstab),
                                            "OUT": str(out)})
    assert r.returncode == 0, r.stderr
    listing = {x["name"]: x for x in json.loads((out / "list.json").read_text())["mappings"]}
    assert set(listing) == {"scratch", "words"}
    assert (listing["words"]["access"], listing["words"]["offset"]) == ("read", 4096)
    assert listing["words"]["length"] == os.path.getsize(lorem) - 4096
    assert listing["scratch"]["length"] == 1 << 20


@needs_namespace
def test_mount_failure_mounts_nothing(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = """
if mount -t fuse.mmapfs none "$MNT" -o "map=x=$MISSING"; then echo mounted >&2; exit 1; fi
if grep -q " $MNT " /proc/self/mounts; then echo still mounted >&2; exit 1; fi
"""
    r = run_in_namespace(tmp_path, script, {"MNT": str(mnt),
                                            "MISSING": str(tmp_path / "missing")})
    assert r.returncode == 0, r.stderr
    # The daemon's sentence reaches the user through mount(8).
    assert "missing" in r.stderr


def unit_text():
    with open(os.path.join(BUILD_ROOT, "contrib", "mmapfs@.service")) as f:
        return f.read()


def test_systemd_unit_verifies(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze")
    text = unit_text()
    assert not re.search(r"@\w+@", text), "an @variable@ was left unsubstituted"
    # Point the unit at this build so that its commands exist; quoted, as
    # systemd splits ExecStart at blanks and the tree may live in a path
    # that holds one.
    installed = re.search(r"^ExecStart=(\S+)", text, re.M).group(1)
    unit = tmp_path / "mmapfs@.service"
    unit.write_text(text.replace(installed, '"' + MMAPFS + '"'))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "mmapfs@t.service")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_systemd_unit_command_mounts_the_mapfile(tmp_path, lorem):
    """Runs the unit's ExecStart for an instance, as systemd would, and stops it with SIGTERM."""
    text = unit_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.M).group(1).replace("%i", "demo")
    mapfile_path = re.search(r"mapfile=(\S+)", command).group(1)
    mountpoint = command.split()[-1]
    assert mountpoint == "/run/mmapfs/demo"
    assert re.search(r"^RuntimeDirectory=mmapfs/%i$", text, re.M)
    assert re.search(r"^ConditionPathExists=" + re.escape(mapfile_path.replace("demo", "%i")),
                     text, re.M)

    mapfile = tmp_path / "demo.map"
    mapfile.write_text(f"map lorem {lorem} access=copy\n")
    mnt = tmp_path / "run-mmapfs-demo"
    mnt.mkdir()
    argv = shlex.split(command.replace(mapfile_path, str(mapfile)).replace(mountpoint,
                                                                           str(mnt)))
    argv[0] = MMAPFS
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10 * SLOW
        while not is_mounted(str(mnt)):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "not mounted in time"
            time.sleep(0.02)
        doc = mmapctl_json("stat", "--json", mnt / "lorem")
        assert (doc["path"], doc["access"]) == (lorem, "copy")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10 * SLOW) == 0
        assert not is_mounted(str(mnt))
    finally:
        unmount(str(mnt))
        if proc.poll() is None:
            proc.kill()
            proc.wait()
