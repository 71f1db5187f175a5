# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the reliability suites (stress, faults, misuse,
permissions, scale).

They reuse the integration suite's harness rather than growing a second
one: its conftest (loaded here under another module name, since ours is
also called conftest) starts `mmapfs -f`, waits for the mount, unmounts
and kills in `finally`, and fails a test on warnings or sanitizer reports
in the daemon's output. What is added here: the time bounds and counts
that shrink under a sanitizer build, a way for tests to report the figures
the lead quotes, and an inotify watch used to prove that a file was never
opened.
"""

import ctypes
import errno
import importlib.util
import os
import shutil
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
IT_DIR = os.path.join(os.path.dirname(HERE), 'integration')
if IT_DIR not in sys.path:
    sys.path.insert(0, IT_DIR)

import helpers  # noqa: E402  (the integration suite's helpers)

_spec = importlib.util.spec_from_file_location('it_conftest', os.path.join(IT_DIR, 'conftest.py'))
it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)

PAGE = helpers.PAGE


def sanitized():
    """Whether the daemon under test was built with ASan/UBSan."""
    opt = os.environ.get('MMAPFS_SANITIZE', '')
    if opt and opt != 'none':
        return True
    if os.environ.get('MMAPFS_ASAN') == '1':
        return True
    return helpers.sanitized(helpers.mmapfs_exe())


def request_bound():
    """Seconds within which every single request must be answered.

    No test asserts absolute speed; this bound only separates "slow" from
    "hung". The sanitizer build is several times slower, and the machine
    may be shared with other test runs, so the bound is generous.
    """
    return 60.0 if sanitized() else 15.0


# Figures quoted in the report: printed in pytest's terminal summary (see
# conftest.py), so they appear in meson's test log without -s.
FIGURES = []
_figures_lock = threading.Lock()


def figure(text):
    with _figures_lock:
        FIGURES.append(text)
    print(text, flush=True)


class SharedMount:
    """One daemon shared by a whole test module (the misuse matrix has
    more than a hundred rows, and a mount per row would dominate its
    time). Cleaned up, and its output checked, as the per-test fixture
    does.
    """

    def __init__(self):
        self.workdir = it.Workdir()
        self.mounter = it.Mounter(self.workdir)

    def start(self, *args, **kwargs):
        return self.mounter.start(*args, **kwargs)

    def close(self):
        problems = self.mounter.cleanup()
        if not any(p.startswith(self.workdir.path + '/') for p in helpers.mounted_points()):
            shutil.rmtree(self.workdir.path, ignore_errors=True)
        return problems


# -- inotify -----------------------------------------------------------------

IN_ACCESS = 0x001
IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_CLOSE_NOWRITE = 0x010
IN_OPEN = 0x020
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

_libc = ctypes.CDLL(None, use_errno=True)


class Inotify:
    """A non-blocking inotify descriptor watching a few paths.

    Used to show that the daemon never opened a file: any open(2) of a
    watched file, by anyone, queues an IN_OPEN event (a failed open does
    not, which is the point: a refused request must not even try).
    """

    MASK = IN_OPEN | IN_ACCESS | IN_MODIFY | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE

    def __init__(self, *paths):
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
        self.wds = {}
        for p in paths:
            wd = _libc.inotify_add_watch(self.fd, os.fsencode(p), self.MASK)
            if wd < 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e), p)
            self.wds[wd] = p

    def events(self):
        """[(path, mask, name)] queued so far."""
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            pos = 0
            while pos < len(buf):
                wd, mask, _cookie, length = struct.unpack_from('iIII', buf, pos)
                name = buf[pos + 16:pos + 16 + length].rstrip(b'\0').decode('utf-8', 'replace')
                out.append((self.wds.get(wd, '?'), mask, name))
                pos += 16 + length

    def close(self):
        os.close(self.fd)


def errname(num):
    if num == 0:
        return 'OK'
    return errno.errorcode.get(num, str(num))
