# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of the tools suite: real mmapfs mounts in temporary directories.

A mount is started as libfuse tests its examples: `$MMAPFS -f ... MNT`
with its stderr in a file, waiting for the mount while checking that the
daemon is alive; it always ends with `fusermount3 -u` (then `-z -u`),
terminate, kill. A daemon that logged a warning, a critical or a
sanitizer report fails the test that used it.

Also here: running mmapctl, and mincore(2) of a file through ctypes, the
independent measure that mmapctl's numbers are checked against.
"""
import ctypes
import ctypes.util
import json
import mmap
import os
import re
import signal
import subprocess
import time

import pytest

MMAPFS = os.environ.get("MMAPFS", "")
MMAPCTL = os.environ.get("MMAPCTL", "")
SOURCE_ROOT = os.environ.get("MMAPFS_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(os.path.dirname(
                                 os.path.abspath(__file__)))))
BUILD_ROOT = os.environ.get("MMAPFS_BUILD_ROOT", "")
LOREM = os.path.join(SOURCE_ROOT, "contrib", "lorem.txt")
PAGE = mmap.PAGESIZE

BAD_STDERR = re.compile(r"-WARNING \*\*|-CRITICAL \*\*|AddressSanitizer|LeakSanitizer|"
                        r"runtime error:|g_mutex_clear\(\) called")


def _sanitizers():
    """The build's b_sanitize value ("address,undefined"), or "" for none."""
    try:
        with open(os.path.join(BUILD_ROOT, "meson-info", "intro-buildoptions.json")) as f:
            options = json.load(f)
    except (OSError, ValueError):
        return ""
    for o in options:
        if o["name"] == "b_sanitize" and o["value"] not in ("none", ""):
            return o["value"]
    return ""


SANITIZERS = _sanitizers()
# The sanitizer build is several times slower.
SLOW = 4 if SANITIZERS else 1


def pids_mentioning(text):
    """Processes whose command line contains text (a unique temporary path)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4].encode().decode("unicode_escape")
            if mnt == path:
                return True
    return False


def unmount(path):
    """fusermount3 -u, then lazily; returns whether path is unmounted."""
    if not is_mounted(path):
        return True
    subprocess.run(["fusermount3", "-u", path], stderr=subprocess.DEVNULL)
    if is_mounted(path):
        subprocess.run(["fusermount3", "-z", "-u", path], stderr=subprocess.DEVNULL)
    return not is_mounted(path)


class Mount:
    """One running `mmapfs -f` and its mount point."""

    def __init__(self, tmp_path, args):
        self.dir = str(tmp_path)
        self.path = os.path.join(self.dir, "mnt")
        os.makedirs(self.path, exist_ok=True)
        self.log = os.path.join(self.dir, "mmapfs.log")
        self.stderr_file = open(self.log, "w")
        self.proc = subprocess.Popen([MMAPFS, "-f", *args, self.path],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr_file)
        deadline = time.monotonic() + 10 * SLOW
        while not is_mounted(self.path):
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"mmapfs exited with {self.proc.returncode}: {self.stderr()}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"mmapfs did not mount in time: {self.stderr()}")
            time.sleep(0.02)

    def stderr(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        try:
            unmount(self.path)
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10 * SLOW)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.stderr_file.close()

    def node(self, *parts):
        return os.path.join(self.path, *parts)


def mmapctl(*args, input=None, env=None):
    """Runs mmapctl; returns the CompletedProcess (text, never raises)."""
    full_env = dict(os.environ)
    full_env["G_DEBUG"] = "fatal-warnings"
    full_env["LC_ALL"] = "C.UTF-8"
    if env:
        full_env.update(env)
    return subprocess.run([MMAPCTL, *[str(a) for a in args]], input=input, env=full_env,
                          capture_output=True, text=True, timeout=120 * SLOW)


def mmapctl_json(*args):
    r = mmapctl(*args)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def read_node(path):
    with open(path) as f:
        return f.read()


def write_node(path, text):
    """Writes text in one write(2); returns the errno, 0 on success."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return e.errno
    try:
        os.write(fd, text.encode())
    except OSError as e:
        return e.errno
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    return 0


def info(mapping_dir):
    return dict(line.split(": ", 1) for line in read_node(
        os.path.join(mapping_dir, "info")).splitlines())


_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]


def mincore(path):
    """Residency of each page of a file, from mincore(2) on a fresh mapping."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return []
        addr = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap")
        try:
            pages = (size + PAGE - 1) // PAGE
            vec = (ctypes.c_ubyte * pages)()
            if _libc.mincore(addr, size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
            return [bool(v & 1) for v in vec]
        finally:
            _libc.munmap(addr, size)
    finally:
        os.close(fd)


def runs_of(vector, first=0):
    """[[first, last], ...] of the True runs of a residency vector."""
    runs = []
    for i, resident in enumerate(vector):
        if resident and runs and runs[-1][1] == first + i - 1:
            runs[-1][1] = first + i
        elif resident:
            runs.append([first + i, first + i])
    return runs


def drop_cache(path):
    """Evicts a clean file from the page cache, as vmtouch -e does."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def load_pages(path, pages):
    """Reads exactly the given pages into the page cache (readahead off)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        for p in pages:
            os.pread(fd, 1, p * PAGE)
    finally:
        os.close(fd)


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
