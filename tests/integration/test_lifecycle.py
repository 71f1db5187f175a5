# SPDX-License-Identifier: LGPL-2.1-or-later
"""How the daemon ends and what survives (DESIGN §3, §5): SIGTERM, SIGINT
and unmount flush and exit 0; kill -9 loses nothing acknowledged; a
backing file truncated underneath gives EIO, never a dead daemon.
"""

import errno
import os
import signal
import struct
import subprocess
import threading
import time

import pytest

from helpers import (PAGE, cachestat, info, is_mounted, pattern, read_bytes, read_node, sh,
                     unmount, write_node)


def file_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def dirty_mount(workdir, mounter):
    """A mount whose backing file has pages dirtied through data."""
    path = workdir.file('life.bin', pattern(8 * PAGE, 11))
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    d = mounter.start('--map', f'life={path}', '--anon', 'scratch=4k')
    fd = os.open(d.path('life', 'data'), os.O_WRONLY)
    try:
        for page in range(8):
            os.pwrite(fd, b'EXIT%d' % page, page * PAGE)
    finally:
        os.close(fd)
    expected = bytearray(pattern(8 * PAGE, 11))
    for page in range(8):
        expected[page * PAGE:page * PAGE + 5] = b'EXIT%d' % page
    return d, path, bytes(expected), cachestat(path)


def check_flushed(path, expected, before):
    assert file_bytes(path) == expected
    if before is None:
        pytest.skip('no cachestat(2): cannot see whether the exit flushed')
    if before['nr_dirty'] == 0:
        pytest.skip('backing pages were already clean; cannot see the flush')
    after = cachestat(path)
    assert (after['nr_dirty'], after['nr_writeback']) == (0, 0), (before, after)


def wait_unmounted(mnt, timeout=30):
    deadline = time.monotonic() + timeout
    while is_mounted(mnt) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not is_mounted(mnt)


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
def test_signal_flushes_and_exits_0(workdir, mounter, sig):
    d, path, expected, before = dirty_mount(workdir, mounter)
    d.proc.send_signal(sig)
    assert d.wait_exit() == 0, d.output()
    assert wait_unmounted(d.mnt)
    check_flushed(path, expected, before)


def test_fusermount_unmount_flushes_and_exits_0(workdir, mounter):
    d, path, expected, before = dirty_mount(workdir, mounter)
    r = subprocess.run(['fusermount3', '-u', d.mnt], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert d.wait_exit() == 0, d.output()
    check_flushed(path, expected, before)


def test_umount_flushes_and_exits_0(workdir, mounter):
    if os.getuid() != 0:
        pytest.skip('umount(8) of a FUSE mount needs root')
    d, path, expected, before = dirty_mount(workdir, mounter)
    r = subprocess.run(['umount', d.mnt], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert d.wait_exit() == 0, d.output()
    check_flushed(path, expected, before)


def test_exit_with_unmapped_open_file(workdir, mounter):
    """A mapping unmapped while open is still flushed when the daemon ends."""
    path = workdir.lorem()
    d = mounter.start('--map', f'm={path}')
    fd = os.open(d.path('m', 'data'), os.O_WRONLY)
    try:
        assert write_node(d.path('.control'), 'unmap m\n') == 0
        assert os.pwrite(fd, b'LATE', 0) == 4
    finally:
        os.close(fd)
    assert unmount(d.mnt) == 0
    assert d.wait_exit() == 0
    assert file_bytes(path)[:4] == b'LATE'


CHUNK = PAGE
CHUNKS = 256


def chunk(rnd, index):
    return struct.pack('<II', rnd, index) * (CHUNK // 8)


def test_kill_9_loses_nothing_acknowledged(workdir, mounter):
    path = workdir.file('kill.bin', bytes(CHUNK * CHUNKS))
    d = mounter.start('--map', f'k={path}')
    d.expect_exit = None
    acked = {}
    state = {'failed_at': None, 'errno': None, 'writes': 0}
    fd = os.open(d.path('k', 'data'), os.O_WRONLY)

    def writer():
        rnd = 1
        while True:
            for i in range(CHUNKS):
                buf = chunk(rnd, i)
                try:
                    n = os.pwrite(fd, buf, i * CHUNK)
                except OSError as e:
                    state['failed_at'], state['errno'] = i, e.errno
                    return
                assert n == CHUNK
                acked[i] = buf
                state['writes'] += 1
            rnd += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while state['writes'] < 2 * CHUNKS and time.monotonic() < deadline and t.is_alive():
            time.sleep(0.01)
        assert state['writes'] >= 2 * CHUNKS, 'writer made no progress'
        os.kill(d.pid, signal.SIGKILL)
        t.join(60)
        assert not t.is_alive(), 'write did not fail after the daemon died'
    finally:
        try:
            os.close(fd)
        except OSError:
            pass            # ENOTCONN: the daemon is gone
        d.proc.wait(30)
        unmount(d.mnt)
    assert state['errno'] in (errno.ENOTCONN, errno.ECONNABORTED, errno.EIO), state
    content = file_bytes(path)
    assert len(content) == CHUNK * CHUNKS
    for i, buf in acked.items():
        if i == state['failed_at']:
            continue            # in flight when the daemon died: either is fine
        assert content[i * CHUNK:(i + 1) * CHUNK] == buf, f'chunk {i} lost'


def test_truncated_backing_file_eio(workdir, mounter):
    path = workdir.file('shrink.bin', pattern(4 * PAGE, 12))
    d = mounter.start('--map', f's={path}', '--anon', 'other=4k')
    os.truncate(path, PAGE)
    fd = os.open(d.path('s', 'data'), os.O_RDWR)
    try:
        with pytest.raises(OSError) as e:
            os.pread(fd, 100, 2 * PAGE)
        assert e.value.errno == errno.EIO
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b'lost', 3 * PAGE)
        assert e.value.errno == errno.EIO
    finally:
        os.close(fd)
    assert d.alive(), d.output()
    # A read that reaches into the lost range fails: it must not come back
    # short, which the kernel would take for the end of the file.
    r = sh(f'cat {d.path("s", "data")}')
    assert r.returncode != 0
    assert b'Input/output error' in r.stderr
    assert os.stat(d.path('s', 'data')).st_size == 4 * PAGE
    assert d.alive(), d.output()
    # The rest of the mount keeps working, and says what happened.
    assert read_node(d.path('s', 'size')) == f'{4 * PAGE}\n'
    assert info(d.mnt, 's')['file_size'] == str(PAGE)
    assert write_node(d.path('other', 'data'), b'fine') == 0
    assert read_bytes(d.path('other', 'data'))[:4] == b'fine'
    # Once the file is long again the range reads back (as zeros).
    os.truncate(path, 4 * PAGE)
    data = read_bytes(d.path('s', 'data'))
    assert data == pattern(4 * PAGE, 12)[:PAGE] + bytes(3 * PAGE)
    assert d.alive()


def test_truncated_backing_file_then_exit(workdir, mounter):
    """Unmount flushes a mapping whose file shrank without harm."""
    path = workdir.file('shrink2.bin', pattern(4 * PAGE, 13))
    d = mounter.start('--map', f's={path}')
    assert write_node(d.path('s', 'data'), b'before') == 0
    os.truncate(path, PAGE)
    assert unmount(d.mnt) == 0
    assert d.wait_exit() == 0, d.output()
    assert file_bytes(path) == b'before' + pattern(4 * PAGE, 13)[6:PAGE]
