# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures of the integration suite: real mmapfs mounts in temporary dirs.

As libfuse tests its own examples, every test starts its own daemon(s)
with `mmapfs -f`, waits for the mount while checking that the daemon is
still alive, and always cleans up: `fusermount3 -u` (lazily with `-z` if
that fails), then SIGTERM, then SIGKILL. After each test the daemon's
output is searched for GLib warnings and criticals and for sanitizer
reports, which fail the test: bad client input must never reach them.

A watchdog kills a test's daemons if the test runs far too long, so that a
hung request turns into a failure (ENOTCONN) instead of a hung suite.
"""

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from helpers import PAGE, is_mounted, mmapfs_exe, mounted_points, pattern, unmount
from places import shared_tmp

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('MMAPFS_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))
LOREM = os.path.join(SOURCE_ROOT, 'contrib', 'lorem.txt')

# Generous: the ASan/UBSan daemon is several times slower.
MOUNT_TIMEOUT = 30
EXIT_TIMEOUT = 30
TEST_TIMEOUT = 150

# Daemon output that fails a test, and the lines that may match anyway.
BAD_OUTPUT = re.compile(r'-WARNING \*\*|-CRITICAL \*\*|-ERROR \*\*|AddressSanitizer|'
                        r'LeakSanitizer|runtime error:|ThreadSanitizer')
# Each entry needs a reason next to it; so far no daemon output has needed
# one, so the list is empty.
ALLOWED_OUTPUT = []

TMP_PREFIX = 'mmapfs-it-'

# Every temporary dir this session made, to find mounts left in them (other
# runs of the suite may be mounting in their own dirs at the same time).
SESSION_DIRS = []


class Daemon:
    """One mmapfs process and its mountpoint."""

    def __init__(self, args, mnt, log, cwd=None, wrapper=(), env=None):
        self.mnt = mnt
        self.log_path = log
        self.expect_exit = 0      # None: the test ends the daemon itself
        # MMAPFS_WRAPPER runs every daemon under a tool (contrib/valgrind.sh),
        # inside a test's own wrapper so that prlimit or setpriv still apply.
        tool = shlex.split(os.environ.get('MMAPFS_WRAPPER', ''))
        cmd = [*wrapper, *tool, mmapfs_exe(), '-f', *args, mnt]
        full_env = dict(os.environ)
        full_env.setdefault('G_DEBUG', 'fatal-warnings')
        if env:
            full_env.update(env)
        self.cmd = cmd
        with open(log, 'ab') as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, cwd=cwd, env=full_env)

    @property
    def pid(self):
        return self.proc.pid

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def alive(self):
        return self.proc.poll() is None

    def wait_mounted(self):
        deadline = time.monotonic() + MOUNT_TIMEOUT
        while not is_mounted(self.mnt):
            rc = self.proc.poll()
            if rc is not None:
                pytest.fail(f'mmapfs exited with {rc} before mounting: {self.cmd}\n'
                            f'{self.output()}')
            if time.monotonic() > deadline:
                pytest.fail(f'mmapfs did not mount within {MOUNT_TIMEOUT}s: {self.cmd}\n'
                            f'{self.output()}')
            time.sleep(0.005)
        # The mount is in the table; make sure requests are answered.
        os.stat(self.mnt)

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def wait_exit(self, timeout=EXIT_TIMEOUT):
        """The exit status, or None if the daemon is still running at TIMEOUT."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Unmount and end the daemon whatever state it is in; return problems."""
        problems = []
        if is_mounted(self.mnt):
            unmount(self.mnt)
        rc = self.wait_exit()
        if rc is None:
            problems.append('mmapfs did not exit after unmount; sent SIGTERM')
            self.proc.terminate()
            rc = self.wait_exit(10)
            if rc is None:
                self.proc.kill()
                rc = self.proc.wait()
        if self.expect_exit is not None and rc != self.expect_exit:
            tail = '\n  '.join(self.output().splitlines()[-30:])
            problems.append(f'mmapfs exited with {rc}, expected {self.expect_exit}; '
                            f'its output ends:\n  {tail}')
        if is_mounted(self.mnt):
            problems.append(f'{self.mnt} still mounted after cleanup')
        return problems

    def bad_output(self):
        bad = []
        for line in self.output().splitlines():
            if BAD_OUTPUT.search(line) and not any(a.search(line) for a in ALLOWED_OUTPUT):
                bad.append(line)
        return bad


class Workdir:
    """A temporary directory with backing files and room for mountpoints.

    It is made traversable (0755), and placed where others can reach it and
    pages can be evicted (places.shared_tmp), so that uid 65534 can reach a
    mount in it and the residency checks hold.
    """

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=shared_tmp())
        os.chmod(self.path, 0o755)
        SESSION_DIRS.append(self.path)
        self._mnt_count = 0

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def file(self, name, content, mode=None):
        path = self.join(name)
        with open(path, 'wb') as f:
            f.write(content)
        if mode is not None:
            os.chmod(path, mode)
        return path

    def lorem(self, name='lorem.txt'):
        path = self.join(name)
        shutil.copyfile(LOREM, path)
        return path

    def mountpoint(self):
        self._mnt_count += 1
        path = self.join(f'mnt{self._mnt_count}')
        os.mkdir(path)
        os.chmod(path, 0o755)
        return path


@pytest.fixture
def workdir():
    wd = Workdir()
    yield wd
    # Never descend into something still mounted.
    if not any(p.startswith(wd.path + '/') for p in mounted_points()):
        shutil.rmtree(wd.path, ignore_errors=True)


class Mounter:
    """Starts daemons for one test and owns their cleanup."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.daemons = []
        self.timed_out = False
        self.lock = threading.Lock()

    def start(self, *args, mnt=None, cwd=None, wrapper=(), env=None, wait=True):
        """Start `mmapfs -f ARGS MNT` and wait until it is mounted."""
        mnt = mnt or self.workdir.mountpoint()
        log = self.workdir.join(f'{os.path.basename(mnt)}.log')
        with self.lock:
            d = Daemon(list(args), mnt, log, cwd=cwd, wrapper=wrapper, env=env)
            self.daemons.append(d)
        if wait:
            d.wait_mounted()
        return d

    def run_failing(self, *args, cwd=None, env=None):
        """Run `mmapfs -f ARGS MNT` expecting it to refuse to start.

        Returns (exit status, standard error). Fails the test if it mounted
        anything.
        """
        mnt = self.workdir.mountpoint()
        full_env = dict(os.environ)
        full_env.setdefault('G_DEBUG', 'fatal-warnings')
        full_env.update(env or {})
        proc = subprocess.Popen([mmapfs_exe(), '-f', *args, mnt], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                env=full_env)
        try:
            out, err = proc.communicate(timeout=MOUNT_TIMEOUT)
        except subprocess.TimeoutExpired:
            was_mounted = is_mounted(mnt)
            if was_mounted:
                unmount(mnt)
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f'mmapfs {args} did not exit (mounted: {was_mounted})')
        if is_mounted(mnt):
            unmount(mnt)
            pytest.fail(f'mmapfs {args} left {mnt} mounted')
        return proc.returncode, err.decode('utf-8', 'replace')

    def watchdog(self):
        with self.lock:
            self.timed_out = True
            for d in self.daemons:
                if d.alive():
                    d.proc.kill()

    def cleanup(self):
        problems = []
        for d in self.daemons:
            problems += d.stop()
            bad = d.bad_output()
            if bad:
                problems.append('suspicious daemon output:\n  ' + '\n  '.join(bad))
        if self.timed_out:
            problems.insert(0, f'test exceeded {TEST_TIMEOUT}s; its daemons were killed')
        return problems


@pytest.fixture
def mounter(workdir):
    m = Mounter(workdir)
    timer = threading.Timer(TEST_TIMEOUT, m.watchdog)
    timer.daemon = True
    timer.start()
    try:
        yield m
    finally:
        timer.cancel()
        problems = m.cleanup()
        if problems:
            pytest.fail('\n'.join(problems), pytrace=False)


class Std:
    """The standard mount: one mapping of each kind, and their backing files."""

    def __init__(self, workdir, mounter, *options):
        self.lorem_path = workdir.lorem('lorem.txt')
        self.ro_path = workdir.lorem('ro.txt')
        self.cp_path = workdir.lorem('cp.txt')
        self.pages_path = workdir.file('pages.bin', pattern(16 * PAGE, 1))
        self.lorem = open(LOREM, 'rb').read()
        self.daemon = mounter.start(
            *options,
            '--map', f'lorem={self.lorem_path}',
            '--map', f'ro={self.ro_path},access=read',
            '--map', f'cp={self.cp_path},access=copy',
            '--map', f'pages={self.pages_path}',
            '--anon', 'an=16k')
        self.mnt = self.daemon.mnt

    def p(self, *parts):
        return os.path.join(self.mnt, *parts)

    def backing(self, name):
        return {'lorem': self.lorem_path, 'ro': self.ro_path, 'cp': self.cp_path,
                'pages': self.pages_path}.get(name)


@pytest.fixture
def std(workdir, mounter):
    """A default-options mount of the standard mappings."""
    return Std(workdir, mounter)


@pytest.fixture
def std_factory(workdir, mounter):
    """Mount the standard mappings with extra daemon options."""
    return lambda *options: Std(workdir, mounter, *options)


@pytest.fixture(scope='session', autouse=True)
def no_mount_left_behind():
    yield
    left = [p for p in mounted_points()
            if any(p.startswith(d + '/') for d in SESSION_DIRS)]
    for p in left:
        unmount(p)
    assert not left, f'mounts left behind: {left}'
