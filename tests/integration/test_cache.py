# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cache modes of data (DESIGN §2.3): auto is close-to-open, never is
direct I/O, always keeps the kernel's cache across opens; in every mode
mmapfs's own changes (resize, move, discarding advice, unmap) reach the
readers.
"""

import errno
import mmap
import os
import time

import pytest

from helpers import PAGE, info, read_bytes, sh, write_node

N = 20183

# Invalidation of the kernel's cache may be queued to a daemon thread, so a
# reader that already holds the file open is given a moment to see it.
GRACE = 3.0


def external_write(path, offset, data):
    """Change the backing file from another process, as a user would."""
    r = sh(f'dd of={path} bs=1 seek={offset} conv=notrunc status=none', input=data)
    assert r.returncode == 0, r.stderr


def eventually(func, expected):
    deadline = time.monotonic() + GRACE
    while True:
        got = func()
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def test_auto_sees_external_write_on_next_open(std):
    fd = os.open(std.p('lorem', 'data'), os.O_RDONLY)
    try:
        assert os.pread(fd, N, 0) == std.lorem
        external_write(std.lorem_path, 100, b'EXTERNAL')
        # The next open sees the file as it is now.
        assert read_bytes(std.p('lorem', 'data'))[100:108] == b'EXTERNAL'
    finally:
        os.close(fd)


def test_auto_reads_reach_daemon_on_each_open(std):
    read_bytes(std.p('lorem', 'data'))
    before = int(info(std.mnt, 'lorem')['bytes_read'])
    read_bytes(std.p('lorem', 'data'))
    assert int(info(std.mnt, 'lorem')['bytes_read']) - before >= N


def test_never_sees_external_write_at_once(std_factory):
    std = std_factory('-o', 'cache=never')
    fd = os.open(std.p('lorem', 'data'), os.O_RDONLY)
    try:
        assert os.pread(fd, N, 0) == std.lorem
        external_write(std.lorem_path, 200, b'AT-ONCE')
        assert os.pread(fd, 7, 200) == b'AT-ONCE'
        external_write(std.lorem_path, 200, b'AGAIN!!')
        assert os.pread(fd, 7, 200) == b'AGAIN!!'
    finally:
        os.close(fd)


def test_never_every_read_reaches_daemon(std_factory):
    std = std_factory('-o', 'cache=never')
    read_bytes(std.p('lorem', 'data'))
    before = int(info(std.mnt, 'lorem')['bytes_read'])
    read_bytes(std.p('lorem', 'data'))
    assert int(info(std.mnt, 'lorem')['bytes_read']) - before >= N


def test_never_refuses_client_mmap(std_factory):
    std = std_factory('-o', 'cache=never')
    fd = os.open(std.p('lorem', 'data'), os.O_RDWR)
    try:
        with pytest.raises(OSError):
            mmap.mmap(fd, 0, flags=mmap.MAP_SHARED)
    finally:
        os.close(fd)
    # Ordinary I/O still works in that mode.
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    r = sh(f'dd if={std.p("lorem", "data")} bs=4K status=none')
    assert r.stdout == std.lorem


def test_never_writes(std_factory):
    std = std_factory('-o', 'cache=never')
    r = sh(f'echo never > {std.p("lorem", "data")}')
    assert r.returncode == 0, r.stderr
    with open(std.lorem_path, 'rb') as f:
        assert f.read() == b'never\n' + std.lorem[6:]
    fd = os.open(std.p('lorem', 'data'), os.O_WRONLY)
    try:
        assert os.pwrite(fd, b'Z' * 50, N - 20) == 20
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b'Z', N)
        assert e.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_always_keeps_cache_across_opens(std_factory):
    std = std_factory('-o', 'cache=always')
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    before = int(info(std.mnt, 'lorem')['bytes_read'])
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    # Served from the kernel's cache: the daemon did not see those reads.
    assert int(info(std.mnt, 'lorem')['bytes_read']) - before < N


@pytest.mark.parametrize('mode', ['auto', 'always', 'never'])
def test_move_reaches_open_reader(std_factory, mode):
    std = std_factory('-o', f'cache={mode}')
    fd = os.open(std.p('lorem', 'data'), os.O_RDONLY)
    try:
        assert os.pread(fd, N, 0) == std.lorem
        assert write_node(std.p('lorem', 'move'), f'0 {PAGE} 16\n') == 0
        expected = std.lorem[PAGE:PAGE + 16] + std.lorem[16:]
        assert read_bytes(std.p('lorem', 'data')) == expected
        assert eventually(lambda: os.pread(fd, N, 0), expected) == expected
    finally:
        os.close(fd)


@pytest.mark.parametrize('mode', ['auto', 'always', 'never'])
def test_resize_reaches_open_reader(std_factory, mode):
    std = std_factory('-o', f'cache={mode}')
    fd = os.open(std.p('lorem', 'data'), os.O_RDONLY)
    try:
        assert os.pread(fd, N, 0) == std.lorem
        assert write_node(std.p('lorem', 'size'), '8k\n') == 0
        assert os.stat(std.p('lorem', 'data')).st_size == 8192
        assert read_bytes(std.p('lorem', 'data')) == std.lorem[:8192]
        assert eventually(lambda: os.fstat(fd).st_size, 8192) == 8192
        assert eventually(lambda: os.pread(fd, N, 0), std.lorem[:8192]) == std.lorem[:8192]
        assert write_node(std.p('lorem', 'size'), '24k\n') == 0
        grown = std.lorem[:8192] + bytes(16384)
        assert read_bytes(std.p('lorem', 'data')) == grown
        assert eventually(lambda: os.pread(fd, 30000, 0), grown) == grown
    finally:
        os.close(fd)


@pytest.mark.parametrize('mode', ['auto', 'always'])
def test_discarding_advice_reaches_reader(std_factory, mode):
    std = std_factory('-o', f'cache={mode}')
    fd = os.open(std.p('lorem', 'data'), os.O_RDONLY)
    try:
        assert os.pread(fd, N, 0) == std.lorem
        got = write_node(std.p('lorem', 'advise'), f'remove {PAGE} {PAGE}\n')
        if got == errno.EOPNOTSUPP:
            pytest.skip('backing file system cannot punch holes')
        assert got == 0
        expected = std.lorem[:PAGE] + bytes(PAGE) + std.lorem[2 * PAGE:]
        assert read_bytes(std.p('lorem', 'data')) == expected
        assert eventually(lambda: os.pread(fd, N, 0), expected) == expected
    finally:
        os.close(fd)


def test_always_unmap_and_remap_same_name(std_factory, workdir):
    std = std_factory('-o', 'cache=always')
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    other = workdir.file('other.txt', b'a different file\n' * 100)
    with open(std.p('.control'), 'w') as f:
        f.write(f'unmap lorem\nmap lorem {other}\n')
    assert read_bytes(std.p('lorem', 'data')) == b'a different file\n' * 100
    assert os.stat(std.p('lorem', 'data')).st_size == 1700


def test_always_sees_own_writes(std_factory):
    std = std_factory('-o', 'cache=always')
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    assert write_node(std.p('lorem', 'data'), b'OWN') == 0
    assert read_bytes(std.p('lorem', 'data')) == b'OWN' + std.lorem[3:]


def test_cache_option_bad_value(mounter):
    rc, err = mounter.run_failing('-o', 'cache=sometimes', '--anon', 'a=4k')
    assert rc > 0, err
    assert err.strip()
