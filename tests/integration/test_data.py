# SPDX-License-Identifier: LGPL-2.1-or-later
"""The data node (DESIGN §2.2, §2.3): reading and writing the mapped bytes
with cat, dd, shell redirections, truncate, Python file calls and mmap,
in every access mode.
"""

import errno
import mmap
import os
import threading

import pytest

from helpers import (PAGE, cachestat, errname, info, pattern, read_bytes, sh, unmount,
                     write_node)

BIG = 2 * 1024 * 1024 + 3 * PAGE + 123


@pytest.fixture
def big(std, workdir):
    """A mapping `big` of an odd-sized file a little over 2 MiB."""
    content = pattern(BIG, 7)
    path = workdir.file('big.bin', content)
    fd = os.open(std.p('.control'), os.O_WRONLY)
    os.write(fd, f'map big {path}\n'.encode())
    os.close(fd)
    return path, content


def file_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def dd(workdir, src, args):
    """dd from a regular file holding SRC (a pipe would give dd short blocks)."""
    path = workdir.file('dd-input', src)
    return sh(f'dd if={path} {args} status=none')


# -- reading -------------------------------------------------------------------

def test_cat(std):
    r = sh(f'cat {std.p("lorem", "data")}')
    assert r.returncode == 0, r.stderr
    assert r.stdout == std.lorem


def test_read_every_mapping(std):
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    assert read_bytes(std.p('ro', 'data')) == std.lorem
    assert read_bytes(std.p('cp', 'data')) == std.lorem
    assert read_bytes(std.p('pages', 'data')) == pattern(16 * PAGE, 1)
    assert read_bytes(std.p('an', 'data')) == bytes(16384)


def test_pread_and_eof(std):
    n = len(std.lorem)
    fd = os.open(std.p('lorem', 'data'), os.O_RDONLY)
    try:
        assert os.pread(fd, 10, 0) == std.lorem[:10]
        assert os.pread(fd, 5000, 4000) == std.lorem[4000:9000]
        assert os.pread(fd, 100, n - 10) == std.lorem[-10:]
        assert os.pread(fd, 100, n) == b''
        assert os.pread(fd, 100, n + 1) == b''
        assert os.pread(fd, 100, n + 10 * PAGE) == b''
        os.lseek(fd, n - 3, os.SEEK_SET)
        assert os.read(fd, 10) == std.lorem[-3:]
        assert os.read(fd, 10) == b''
    finally:
        os.close(fd)


def test_python_file_reads(std):
    with open(std.p('lorem', 'data'), 'rb') as f:
        f.seek(1234)
        assert f.read(100) == std.lorem[1234:1334]
        assert f.read() == std.lorem[1334:]
        assert f.read() == b''
    with open(std.p('lorem', 'data'), 'r', encoding='utf-8') as f:
        assert f.readline() == std.lorem.decode().splitlines(keepends=True)[0]


@pytest.mark.parametrize('bs', ['1', '4K', '1M'])
def test_dd_read(std, bs):
    r = sh(f'dd if={std.p("lorem", "data")} bs={bs} status=none')
    assert r.returncode == 0, r.stderr
    assert r.stdout == std.lorem


def test_dd_read_skip(std, big):
    _, content = big
    r = sh(f'dd if={std.p("lorem", "data")} bs=4K skip=2 count=1 status=none')
    assert r.stdout == std.lorem[2 * 4096:3 * 4096]
    r = sh(f'dd if={std.p("lorem", "data")} bs=1 skip=20000 status=none')
    assert r.stdout == std.lorem[20000:]
    r = sh(f'dd if={std.p("big", "data")} bs=1M status=none')
    assert r.returncode == 0, r.stderr
    assert r.stdout == content
    r = sh(f'dd if={std.p("big", "data")} bs=1M skip=1 count=1 status=none')
    assert r.stdout == content[1 << 20:2 << 20]
    r = sh(f'dd if={std.p("big", "data")} bs=1M skip=2 status=none')
    assert r.stdout == content[2 << 20:]


# -- writing -------------------------------------------------------------------

def test_pwrite_reaches_file(std):
    fd = os.open(std.p('lorem', 'data'), os.O_WRONLY)
    try:
        assert os.pwrite(fd, b'FIRST', 0) == 5
        assert os.pwrite(fd, b'MIDDLE', 10000) == 6
    finally:
        os.close(fd)
    expected = bytearray(std.lorem)
    expected[0:5] = b'FIRST'
    expected[10000:10006] = b'MIDDLE'
    assert read_bytes(std.p('lorem', 'data')) == expected
    assert file_bytes(std.lorem_path) == expected


def test_write_seen_by_mmap_of_backing_file(std):
    with open(std.lorem_path, 'rb') as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        assert write_node(std.p('lorem', 'data'), b'THROUGH-MMAPFS') == 0
        assert mm[:14] == b'THROUGH-MMAPFS'
        assert mm[14:] == std.lorem[14:]
    finally:
        mm.close()


def test_write_crossing_end_is_short(std):
    n = len(std.lorem)
    fd = os.open(std.p('lorem', 'data'), os.O_WRONLY)
    try:
        assert os.pwrite(fd, b'X' * 100, n - 10) == 10
    finally:
        os.close(fd)
    assert read_bytes(std.p('lorem', 'data')) == std.lorem[:-10] + b'X' * 10
    assert os.stat(std.p('lorem', 'data')).st_size == n
    assert file_bytes(std.lorem_path) == std.lorem[:-10] + b'X' * 10


@pytest.mark.parametrize('where', [0, 1, PAGE])
def test_write_at_or_after_end_enospc(std, where):
    n = len(std.lorem)
    fd = os.open(std.p('lorem', 'data'), os.O_WRONLY)
    try:
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b'Y' * 10, n + where)
        assert e.value.errno == errno.ENOSPC
    finally:
        os.close(fd)
    assert read_bytes(std.p('lorem', 'data')) == std.lorem
    assert file_bytes(std.lorem_path) == std.lorem


def test_append_enospc(std):
    # coreutils echo, not the shell's: dash's builtin says "I/O error" for all.
    r = sh(f'/bin/echo more >> {std.p("lorem", "data")}')
    assert r.returncode != 0
    assert b'No space left on device' in r.stderr
    assert file_bytes(std.lorem_path) == std.lorem


def test_write_anon(std):
    fd = os.open(std.p('an', 'data'), os.O_RDWR)
    try:
        assert os.pwrite(fd, b'anonymous bytes', 5000) == 15
        assert os.pread(fd, 15, 5000) == b'anonymous bytes'
    finally:
        os.close(fd)
    assert read_bytes(std.p('an', 'data'))[5000:5015] == b'anonymous bytes'


def test_echo_keeps_rest(std):
    """O_TRUNC is ignored: echo overwrites the first bytes only."""
    r = sh(f'echo hi > {std.p("lorem", "data")}')
    assert r.returncode == 0, r.stderr
    assert read_bytes(std.p('lorem', 'data')) == b'hi\n' + std.lorem[3:]
    assert os.stat(std.p('lorem', 'data')).st_size == len(std.lorem)
    assert file_bytes(std.lorem_path) == b'hi\n' + std.lorem[3:]


def test_printf_and_python_o_trunc(std):
    r = sh(f"printf 'abc' > {std.p('pages', 'data')}")
    assert r.returncode == 0, r.stderr
    with open(std.p('lorem', 'data'), 'wb') as f:      # O_WRONLY|O_CREAT|O_TRUNC
        f.write(b'PY')
    assert read_bytes(std.p('lorem', 'data')) == b'PY' + std.lorem[2:]
    assert read_bytes(std.p('pages', 'data')) == b'abc' + pattern(16 * PAGE, 1)[3:]


def test_dd_write_bs1(std, workdir):
    src = b'0123456789' * 30
    r = dd(workdir, src, f'of={std.p("lorem", "data")} bs=1 seek=50 conv=notrunc')
    assert r.returncode == 0, r.stderr
    expected = std.lorem[:50] + src + std.lorem[350:]
    assert read_bytes(std.p('lorem', 'data')) == expected
    assert file_bytes(std.lorem_path) == expected


def test_dd_write_4k_seek_notrunc(std, workdir):
    src = pattern(PAGE, 3)
    r = dd(workdir, src, f'of={std.p("pages", "data")} bs=4K seek=3 count=1 conv=notrunc')
    assert r.returncode == 0, r.stderr
    orig = pattern(16 * PAGE, 1)
    expected = orig[:3 * PAGE] + src + orig[4 * PAGE:]
    assert read_bytes(std.p('pages', 'data')) == expected
    assert file_bytes(std.pages_path) == expected


def test_dd_write_1m(std, workdir, big):
    path, content = big
    src = pattern(1 << 20, 4)
    r = dd(workdir, src, f'of={std.p("big", "data")} bs=1M seek=1 count=1 conv=notrunc')
    assert r.returncode == 0, r.stderr
    expected = content[:1 << 20] + src + content[2 << 20:]
    assert read_bytes(std.p('big', 'data')) == expected
    assert file_bytes(path) == expected


def test_dd_whole_mapping_1m(std, workdir, big):
    path, content = big
    src = pattern(BIG, 5)
    r = dd(workdir, src, f'of={std.p("big", "data")} bs=1M conv=notrunc')
    assert r.returncode == 0, r.stderr
    assert file_bytes(path) == src


def test_dd_past_end_enospc(std, workdir, big):
    path, content = big
    src = pattern(BIG + 5000, 6)
    r = dd(workdir, src, f'of={std.p("big", "data")} bs=1M conv=notrunc')
    assert r.returncode != 0
    assert b'No space left on device' in r.stderr
    assert file_bytes(path) == src[:BIG]
    assert read_node_size(std, 'big') == BIG


def read_node_size(std, name):
    with open(std.p(name, 'size')) as f:
        return int(f.read())


def test_dd_without_notrunc(std, workdir):
    """dd's truncate to seek*bs is refused; only dd's block changes.

    (coreutils 9.1 reports the failed truncate but still exits 0 once the
    copy itself succeeds, so the message is what is checked.)
    """
    src = pattern(PAGE, 8)
    r = dd(workdir, src, f'of={std.p("lorem", "data")} bs=4K seek=1 count=1')
    assert b'failed to truncate to 4096 bytes' in r.stderr
    assert b'Invalid argument' in r.stderr
    expected = std.lorem[:PAGE] + src + std.lorem[2 * PAGE:]
    assert read_bytes(std.p('lorem', 'data')) == expected
    assert os.stat(std.p('lorem', 'data')).st_size == len(std.lorem)
    assert file_bytes(std.lorem_path) == expected
    assert 'resize a mapping through its size node' in info(std.mnt, 'lorem')['last_error']


def test_dd_without_notrunc_at_start(std, workdir):
    """Without seek dd opens with O_TRUNC, which is ignored."""
    r = dd(workdir, b'short', f'of={std.p("lorem", "data")} bs=4K')
    assert r.returncode == 0, r.stderr
    assert file_bytes(std.lorem_path) == b'short' + std.lorem[5:]


# -- truncate -------------------------------------------------------------------

def test_truncate_same_length(std):
    n = len(std.lorem)
    r = sh(f'truncate -s {n} {std.p("lorem", "data")}')
    assert r.returncode == 0, r.stderr
    os.truncate(std.p('lorem', 'data'), n)
    fd = os.open(std.p('pages', 'data'), os.O_RDWR)
    try:
        os.ftruncate(fd, 16 * PAGE)
    finally:
        os.close(fd)
    assert file_bytes(std.lorem_path) == std.lorem
    assert info(std.mnt, 'lorem')['last_error'] == 'none'


@pytest.mark.parametrize('length', [0, 100, 20182, 20184, 1 << 20])
def test_truncate_other_length_einval(std, length):
    with pytest.raises(OSError) as e:
        os.truncate(std.p('lorem', 'data'), length)
    assert e.value.errno == errno.EINVAL, errname(e.value.errno)
    assert os.stat(std.p('lorem', 'data')).st_size == len(std.lorem)
    assert file_bytes(std.lorem_path) == std.lorem
    assert 'resize a mapping through its size node' in info(std.mnt, 'lorem')['last_error']


def test_truncate_command_einval(std):
    r = sh(f'truncate -s 100 {std.p("lorem", "data")}')
    assert r.returncode != 0
    assert b'Invalid argument' in r.stderr
    assert file_bytes(std.lorem_path) == std.lorem


def test_truncate_read_mapping_eacces(std):
    with pytest.raises(OSError) as e:
        os.truncate(std.p('ro', 'data'), 100)
    assert e.value.errno == errno.EACCES, errname(e.value.errno)
    assert file_bytes(std.ro_path) == std.lorem


# -- fsync ----------------------------------------------------------------------

def test_fsync(std):
    fd = os.open(std.p('lorem', 'data'), os.O_RDWR)
    try:
        os.pwrite(fd, b'SYNCED', 0)
        before = cachestat(std.lorem_path)
        os.fsync(fd)
        after = cachestat(std.lorem_path)
    finally:
        os.close(fd)
    assert file_bytes(std.lorem_path)[:6] == b'SYNCED'
    if before is None:
        pytest.skip('no cachestat(2): cannot see whether msync ran')
    if before['nr_dirty'] == 0:
        pytest.skip('backing pages were already clean; cannot see msync')
    # msync(MS_SYNC) of the whole mapping wrote the dirty pages out.
    assert (after['nr_dirty'], after['nr_writeback']) == (0, 0), after


def test_fsync_anon_and_copy(std):
    for name in ('an', 'cp'):
        fd = os.open(std.p(name, 'data'), os.O_RDWR)
        try:
            os.pwrite(fd, b'z', 0)
            os.fsync(fd)
            os.fdatasync(fd)
        finally:
            os.close(fd)


# -- access modes -----------------------------------------------------------------

@pytest.mark.parametrize('flags', [os.O_WRONLY, os.O_RDWR, os.O_WRONLY | os.O_TRUNC])
def test_read_mapping_refuses_write_open(std, flags):
    with pytest.raises(OSError) as e:
        os.open(std.p('ro', 'data'), flags)
    assert e.value.errno == errno.EACCES, errname(e.value.errno)
    r = sh(f'echo x > {std.p("ro", "data")}')
    assert r.returncode != 0
    assert b'Permission denied' in r.stderr
    assert file_bytes(std.ro_path) == std.lorem


def test_copy_mapping_never_reaches_file(std):
    assert write_node(std.p('cp', 'data'), b'PRIVATE') == 0
    assert read_bytes(std.p('cp', 'data')) == b'PRIVATE' + std.lorem[7:]
    assert file_bytes(std.cp_path) == std.lorem
    fd = os.open(std.p('cp', 'data'), os.O_RDWR)
    os.fsync(fd)
    os.close(fd)
    assert file_bytes(std.cp_path) == std.lorem
    assert unmount(std.mnt) == 0
    assert std.daemon.wait_exit() == 0
    assert file_bytes(std.cp_path) == std.lorem


def test_copy_mapping_unmap(std):
    assert write_node(std.p('cp', 'data'), b'PRIVATE') == 0
    with open(std.p('.control'), 'w') as f:
        f.write('unmap cp\n')
    assert file_bytes(std.cp_path) == std.lorem


def test_length_limited_mapping_writes(workdir, mounter):
    path = workdir.lorem()
    orig = file_bytes(path)
    d = mounter.start('--map', f'part={path},offset={PAGE},length={2 * PAGE}')
    fd = os.open(d.path('part', 'data'), os.O_WRONLY)
    try:
        assert os.pwrite(fd, b'P' * 10, 2 * PAGE - 4) == 4
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b'Q', 2 * PAGE)
        assert e.value.errno == errno.ENOSPC
    finally:
        os.close(fd)
    expected = orig[:3 * PAGE - 4] + b'PPPP' + orig[3 * PAGE:]
    assert file_bytes(path) == expected


# -- Python mmap of data ------------------------------------------------------------

def mmap_roundtrip(std):
    fd = os.open(std.p('lorem', 'data'), os.O_RDWR)
    try:
        m = mmap.mmap(fd, 0)
        try:
            assert len(m) == len(std.lorem)
            assert m[:] == std.lorem
            assert m.find(b'Lorem') == std.lorem.find(b'Lorem')
            m[0:5] = b'HELLO'
            m[len(m) - 3:] = b'END'
            m.flush()
        finally:
            m.close()
    finally:
        os.close(fd)
    expected = b'HELLO' + std.lorem[5:-3] + b'END'
    assert file_bytes(std.lorem_path) == expected
    with open(std.lorem_path, 'rb') as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        assert mm[:] == expected
        mm.close()
    assert read_bytes(std.p('lorem', 'data')) == expected


def test_python_mmap_auto(std):
    mmap_roundtrip(std)


def test_python_mmap_always(std_factory):
    mmap_roundtrip(std_factory('-o', 'cache=always'))


def test_python_mmap_read_only(std):
    with open(std.p('ro', 'data'), 'rb') as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            assert m[:] == std.lorem
            assert m.rfind(b'.') == std.lorem.rfind(b'.')
        finally:
            m.close()


def test_python_mmap_of_copy_mapping_stays_private(std):
    fd = os.open(std.p('cp', 'data'), os.O_RDWR)
    try:
        m = mmap.mmap(fd, 0)
        m[:4] = b'COPY'
        m.flush()
        m.close()
    finally:
        os.close(fd)
    assert read_bytes(std.p('cp', 'data'))[:4] == b'COPY'
    assert file_bytes(std.cp_path) == std.lorem


def test_concurrent_io_and_resize(std_factory):
    """Readers and writers keep going while the mapping is resized under them."""
    std = std_factory('-o', 'cache=never')
    data = std.p('lorem', 'data')
    stop = threading.Event()
    errors = []
    counts = {'reads': 0, 'writes': 0}

    def reader():
        fd = os.open(data, os.O_RDONLY)
        try:
            while not stop.is_set():
                got = os.pread(fd, 1 << 20, 0)
                assert PAGE <= len(got) <= 1 << 20, len(got)
                counts['reads'] += 1
        except (OSError, AssertionError) as e:
            errors.append(repr(e))
        finally:
            os.close(fd)

    def writer():
        fd = os.open(data, os.O_WRONLY)
        try:
            while not stop.is_set():
                assert os.pwrite(fd, b'w' * PAGE, 0) == PAGE
                counts['writes'] += 1
        except (OSError, AssertionError) as e:
            errors.append(repr(e))
        finally:
            os.close(fd)

    threads = [threading.Thread(target=f) for f in (reader, reader, writer, writer)]
    for t in threads:
        t.start()
    try:
        for i in range(40):
            size = (1 << 20) if i % 2 else 2 * PAGE + 100 * i
            assert write_node(std.p('lorem', 'size'), f'{size}\n') == 0
        assert write_node(std.p('lorem', 'size'), f'{3 * PAGE}\n') == 0
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors
    assert counts['reads'] > 0 and counts['writes'] > 0
    assert std.daemon.alive()
    assert read_bytes(data)[:PAGE] == b'w' * PAGE
    assert os.stat(data).st_size == 3 * PAGE
    assert os.path.getsize(std.lorem_path) == 3 * PAGE
