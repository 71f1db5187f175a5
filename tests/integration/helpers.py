# SPDX-License-Identifier: LGPL-2.1-or-later
"""Small helpers shared by the integration tests.

They talk to a mounted mmapfs only through ordinary system calls (open,
read, write, close), the way a shell or a script would, and report
failures as errno values so that tests can compare them with the errnos
DESIGN.md names. Nothing here knows how the daemon is written.
"""

import ctypes
import errno
import glob
import hashlib
import os
import platform
import random
import re
import shutil
import subprocess
import sys

import pytest
from places import others_reach

PAGE = os.sysconf('SC_PAGE_SIZE')

# The keys DESIGN §2.6 promises in every info file.
INFO_KEYS = ('name', 'path', 'access', 'offset', 'length', 'file_size', 'page_size', 'advice',
             'locked', 'resident_pages', 'total_pages', 'reads', 'writes', 'bytes_read',
             'bytes_written', 'flushes', 'last_error')

# The info keys that describe the mapping itself, as opposed to counters,
# residency and the last error, which legitimately move when a request is
# refused.
STABLE_INFO_KEYS = ('name', 'path', 'access', 'offset', 'length', 'file_size', 'page_size',
                    'advice', 'locked', 'total_pages')

NODES = ('data', 'size', 'advise', 'flush', 'move', 'lock', 'info', 'resident')


def errname(num):
    """'EINVAL' for errno.EINVAL, 'OK' for 0: readable assertion messages."""
    if num == 0:
        return 'OK'
    return errno.errorcode.get(num, str(num))


def _as_bytes(text):
    if isinstance(text, bytes):
        return text
    return text.encode('utf-8', 'surrogateescape')


def write_node(path, text, flags=os.O_WRONLY):
    """Open PATH, write TEXT in one write(2), close; return the errno.

    0 means every step succeeded. An error from open, write or close is
    returned as its errno (close matters: .control applies a last line
    without a newline at close). A short write is not an errno and fails
    the calling test instead, since no small node may accept half a line.
    """
    data = _as_bytes(text)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return e.errno
    result = 0
    try:
        written = os.write(fd, data)
        assert written == len(data), f'short write {written}/{len(data)} to {path}'
    except OSError as e:
        result = e.errno
    finally:
        try:
            os.close(fd)
        except OSError as e:
            if result == 0:
                result = e.errno
    return result


def read_bytes(path, chunk=65536):
    """Every byte of PATH, read until EOF in CHUNK-sized read(2) calls."""
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        while True:
            part = os.read(fd, chunk)
            if not part:
                break
            parts.append(part)
        return b''.join(parts)
    finally:
        os.close(fd)


def read_node(path):
    """The text of a small node; undecodable bytes kept as surrogates."""
    return read_bytes(path).decode('utf-8', 'surrogateescape')


def control(mnt, text):
    """Write TEXT to MNT/.control in one write(2); return the errno."""
    return write_node(os.path.join(mnt, '.control'), text)


def control_tx(mnt, text):
    """Write TEXT to .control and read the outcome on the same descriptor.

    Returns (errno of the write or 0, the line read back). This is the
    transaction read of DESIGN §2.1.
    """
    fd = os.open(os.path.join(mnt, '.control'), os.O_RDWR)
    try:
        try:
            os.write(fd, _as_bytes(text))
            err = 0
        except OSError as e:
            err = e.errno
        outcome = os.read(fd, 65536).decode('utf-8', 'surrogateescape')
        return err, outcome
    finally:
        os.close(fd)


def parse_info(text):
    """The key/value pairs of an info file, split as awk -F': ' does."""
    result = {}
    assert text.endswith('\n'), f'info does not end with a newline: {text!r}'
    for line in text.splitlines():
        key, sep, value = line.partition(': ')
        assert sep, f'info line without ": ": {line!r}'
        assert key not in result, f'duplicate info key {key!r}'
        result[key] = value
    return result


def info(mnt, name):
    return parse_info(read_node(os.path.join(mnt, name, 'info')))


def digest(path):
    return hashlib.sha256(read_bytes(path)).hexdigest()


def snapshot(mnt, name, backing=None):
    """What must not change when a request on mapping NAME is refused."""
    inf = info(mnt, name)
    snap = {
        'tree': sorted(os.listdir(mnt)),
        'data': digest(os.path.join(mnt, name, 'data')),
        'st_size': os.stat(os.path.join(mnt, name, 'data')).st_size,
        'size': read_node(os.path.join(mnt, name, 'size')),
        'advise': read_node(os.path.join(mnt, name, 'advise')),
        'lock': read_node(os.path.join(mnt, name, 'lock')),
        'info': {k: inf.get(k) for k in STABLE_INFO_KEYS},
    }
    if backing is not None:
        with open(backing, 'rb') as f:
            content = f.read()
        snap['backing'] = hashlib.sha256(content).hexdigest()
        snap['backing_size'] = len(content)
    return snap


def resident(mnt, name):
    """(resident, total, [(first, last), ...]) parsed from a resident node.

    Checks the format of DESIGN §2.5 on the way.
    """
    text = read_node(os.path.join(mnt, name, 'resident'))
    assert text.endswith('\n'), f'resident does not end with a newline: {text!r}'
    lines = text.splitlines()
    m = re.fullmatch(r'(\d+)/(\d+) pages resident', lines[0])
    assert m, f'bad first line of resident: {lines[0]!r}'
    res, total = int(m.group(1)), int(m.group(2))
    runs = []
    for line in lines[1:]:
        m = re.fullmatch(r'(\d+)-(\d+)', line)
        assert m, f'bad run line in resident: {line!r}'
        first, last = int(m.group(1)), int(m.group(2))
        assert first <= last < total, f'run {line} outside 0..{total - 1}'
        if runs:
            assert first > runs[-1][1] + 1, f'runs not ascending and disjoint: {text!r}'
        runs.append((first, last))
    assert sum(b - a + 1 for a, b in runs) == res, f'runs do not add up to {res}: {text!r}'
    return res, total, runs


def escape_path(raw):
    """DESIGN §2.1's escaping of a PATH: blank, tab, newline, backslash as \\ooo."""
    out = bytearray()
    for b in _as_bytes(raw):
        if b in (0x20, 0x09, 0x0a, 0x5c):
            out += b'\\%03o' % b
        else:
            out.append(b)
    return bytes(out)


def sh(command, timeout=120, **kwargs):
    """Run COMMAND with /bin/sh -c, capturing output; never raises on failure."""
    return subprocess.run(['sh', '-c', command], capture_output=True, timeout=timeout,
                          **kwargs)


NOBODY = 65534
AS_NOBODY = ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups']


def as_nobody(argv, timeout=120, **kwargs):
    """Run ARGV as uid/gid 65534 without supplementary groups."""
    return subprocess.run([*AS_NOBODY, *argv], capture_output=True, timeout=timeout, **kwargs)


def nobody_reaches(path):
    """Skip, saying why, when uid 65534 cannot reach PATH (a test dir)."""
    if not others_reach(path):
        pytest.skip(f'uid {NOBODY} cannot reach {path}: a directory above it is closed to '
                    'others, and /tmp, /var/tmp and /dev/shm are too')


def nobody_python():
    """An interpreter uid 65534 can run: this one, or Debian's."""
    for exe in (sys.executable, '/usr/bin/python3'):
        if exe and os.path.exists(exe) and others_reach(os.path.realpath(exe)):
            return exe
    pytest.skip(f'no python3 that uid {NOBODY} can run (tried {sys.executable} and '
                '/usr/bin/python3)')


def daemon_for_nobody(workdir):
    """The daemon as uid 65534 can run it: (executable, shared objects).

    When the build's own executable is out of that uid's reach (a tree under
    /root, umask 077), the executable and the libmmapfs it loads are copied
    into WORKDIR as fs/mmapfs and lib/, the layout the build's RUNPATH
    ($ORIGIN/../lib) expects, with modes others may use. The shared objects
    returned are the ones the copy must load, so that a test can prove from
    /proc/PID/maps that the uid ran the copy and not something else.
    """
    exe = mmapfs_exe()
    if others_reach(exe):
        return exe, []
    lib_dir = os.path.join(os.path.dirname(os.path.dirname(exe)), 'lib')
    # The library and its soname links; not meson's libmmapfs.so.*.p object dirs.
    libs = sorted(p for p in glob.glob(os.path.join(lib_dir, 'libmmapfs.so*'))
                  if os.path.islink(p) or os.path.isfile(p))
    if not libs:
        pytest.fail(f'{exe} is out of reach of uid {NOBODY} and no libmmapfs.so* was found in '
                    f'{lib_dir} to copy beside it')
    root = workdir.join('for-nobody')
    for sub in ('fs', 'lib'):
        os.makedirs(os.path.join(root, sub), mode=0o755, exist_ok=True)
        os.chmod(os.path.join(root, sub), 0o755)
    os.chmod(root, 0o755)
    copies = []
    for lib in libs:
        dest = os.path.join(root, 'lib', os.path.basename(lib))
        if os.path.islink(lib):
            os.symlink(os.readlink(lib), dest)
        else:
            shutil.copyfile(lib, dest)
            os.chmod(dest, 0o755)
            copies.append(dest)
    copy = os.path.join(root, 'fs', 'mmapfs')
    shutil.copyfile(exe, copy)
    os.chmod(copy, 0o755)
    if not others_reach(copy):
        pytest.fail(f'the copy {copy} is still out of reach of uid {NOBODY}: a directory '
                    'above the temporary directory is closed to others')
    return copy, copies


def maps_of(pid):
    """The paths of the files process PID has mapped (from /proc/PID/maps)."""
    with open(f'/proc/{pid}/maps') as f:
        return {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}


class _CacheStat(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ('nr_cache', 'nr_dirty', 'nr_writeback',
                                               'nr_evicted', 'nr_recently_evicted')]


class _CacheStatRange(ctypes.Structure):
    _fields_ = [('off', ctypes.c_uint64), ('len', ctypes.c_uint64)]


_SYS_CACHESTAT = {'x86_64': 451, 'aarch64': 451}.get(platform.machine())


def cachestat(path):
    """Page-cache counters of a whole file via cachestat(2), or None.

    Used to observe from outside that the daemon really called msync: the
    backing file's dirty pages go to zero. None when the kernel (before
    6.5) or this architecture table lacks the call.
    """
    if _SYS_CACHESTAT is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        rng = _CacheStatRange(0, 0)
        cs = _CacheStat()
        r = libc.syscall(_SYS_CACHESTAT, fd, ctypes.byref(rng), ctypes.byref(cs), 0)
        if r != 0:
            if ctypes.get_errno() in (errno.ENOSYS, errno.EOPNOTSUPP):
                return None
            raise OSError(ctypes.get_errno(), 'cachestat')
        return {name: getattr(cs, name) for name, _ in _CacheStat._fields_}
    finally:
        os.close(fd)


def parse_number(text):
    """A number as DESIGN §2.4 spells it (decimal with suffix, or 0x hex)."""
    text = text.strip()
    if re.fullmatch(r'0[xX][0-9a-fA-F]+', text):
        return int(text, 16)
    m = re.fullmatch(r'([0-9]+)(?:([kKmMgGtT])(?:[iI][bB])?)?', text)
    assert m, f'not a number: {text!r}'
    shift = {None: 0, 'k': 10, 'm': 20, 'g': 30, 't': 40}[m.group(2) and m.group(2).lower()]
    return int(m.group(1)) << shift


def mounted_points():
    """Mount points of /proc/self/mountinfo, octal escapes decoded."""
    points = set()
    with open('/proc/self/mountinfo', 'rb') as f:
        for line in f:
            field = line.split(b' ')[4]
            points.add(re.sub(rb'\\([0-7]{3})', lambda m: bytes([int(m.group(1), 8)]),
                              field).decode('utf-8', 'surrogateescape'))
    return points


def is_mounted(path):
    return os.path.realpath(path) in mounted_points()


def unmount(path):
    """fusermount3 -u, then -z -u if that fails. Returns the first exit code."""
    r = subprocess.run(['fusermount3', '-u', path], capture_output=True, timeout=60)
    if r.returncode != 0 and is_mounted(path):
        subprocess.run(['fusermount3', '-z', '-u', path], capture_output=True, timeout=60)
    return r.returncode


def pattern(size, seed):
    """SIZE deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(size)


def mmapfs_exe():
    exe = os.environ.get('MMAPFS')
    if not exe:
        root = os.environ.get('MMAPFS_BUILD_ROOT')
        if root:
            exe = os.path.join(root, 'fs', 'mmapfs')
    if not exe or not os.access(exe, os.X_OK):
        pytest.fail(f'no mmapfs executable (MMAPFS={exe!r}); run through meson test')
    return exe


def sanitized(exe):
    """Whether EXE was built with AddressSanitizer (shared or static runtime)."""
    with open(exe, 'rb') as f:
        return b'__asan_init' in f.read()
