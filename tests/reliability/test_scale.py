# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scale (suite `scale`): 10,000 mappings in one mount, and a 64 GiB
sparse file.

With 100, 1,000 and 10,000 mappings mounted, the cost of one `map`
(an `anon` line to .control), one `unmap`, one lookup of a name the
kernel has not seen yet, one directory entry of `ls`, and one read of an
`info` file is measured (median over a sample) and printed as a table.
Only a generous ratio is asserted, never an absolute time: each cost at
10,000 must stay below 5 times its cost at 100. The daemon's own memory
per mapping (VmRSS before and after) is reported.

The 64 GiB sparse file (on a machine with less memory than that) is
mapped and written and read at both ends and in the middle; the daemon's
resident memory must stay small and the file sparse.
"""

import os
import random
import resource
import statistics
import time

import pytest

from helpers import PAGE, info, read_bytes, read_node, unmount, write_node
from rel import figure, sanitized

COUNTS = (100, 1000, 10000)
SAMPLE = 100
RATIO = 5.0


def vm_rss(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS')


def control_write(fd, text):
    os.write(fd, text.encode())


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def nofile_wrapper(need):
    """Run the daemon with room for NEED descriptors (one memfd per mapping)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return []
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f'RLIMIT_NOFILE hard limit {hard} < {need}')
    return ['prlimit', f'--nofile={need}:{hard if hard != resource.RLIM_INFINITY else need}']


def test_ten_thousand_mappings(workdir, mounter):
    need = COUNTS[-1] + SAMPLE + 256
    d = mounter.start(wrapper=nofile_wrapper(need))
    control = d.path('.control')
    rss_before = vm_rss(d.pid)
    rng = random.Random(1)
    made = 0
    stated = set()
    table = {}

    for count in COUNTS:
        # Fill up to COUNT with one bulk write (not timed).
        if count > made:
            fd = os.open(control, os.O_WRONLY)
            try:
                for start in range(made, count, 500):
                    lines = ''.join(f'anon m{i:05d} 4096\n'
                                    for i in range(start, min(start + 500, count)))
                    control_write(fd, lines)
            finally:
                os.close(fd)
            made = count
        assert len(os.listdir(d.mnt)) == count + 1

        # map and unmap: one .control write each.
        def one(line):
            fd = os.open(control, os.O_WRONLY)
            try:
                control_write(fd, line)
            finally:
                os.close(fd)
        maps = [timed(lambda i=i: one(f'anon x{i:03d} 4096\n')) for i in range(SAMPLE)]
        unmaps = [timed(lambda i=i: one(f'unmap x{i:03d}\n')) for i in range(SAMPLE)]

        # Lookups of names the kernel has not looked up yet (else its dentry
        # cache answers and the daemon is not measured).
        fresh = [f'm{i:05d}' for i in range(count) if f'm{i:05d}' not in stated]
        sample = rng.sample(fresh, min(SAMPLE, len(fresh)))
        stated.update(sample)
        lookups = [timed(lambda n=n: os.stat(os.path.join(d.mnt, n))) for n in sample]

        # ls: per directory entry, best of three listings.
        ls = min(timed(lambda: os.listdir(d.mnt)) for _ in range(3)) / (count + 1)

        # info of random mappings: open, read, close.
        names = rng.sample(range(count), min(SAMPLE, count))
        infos = [timed(lambda n=n: read_bytes(os.path.join(d.mnt, f'm{n:05d}', 'info')))
                 for n in names]
        table[count] = {
            'map': statistics.median(maps),
            'unmap': statistics.median(unmaps),
            'lookup': statistics.median(lookups),
            'ls/entry': ls,
            'info': statistics.median(infos),
        }

    rss_after = vm_rss(d.pid)
    # Spot checks: the 10,000 are real mappings.
    last = f'm{COUNTS[-1] - 1:05d}'
    assert info(d.mnt, last)['length'] == '4096'
    assert write_node(d.path(last, 'data'), b'tail', os.O_WRONLY) == 0
    assert read_bytes(d.path(last, 'data'))[:4] == b'tail'
    assert d.alive()

    ops = list(table[COUNTS[0]])
    figure('scale: per-operation cost (median, microseconds) by number of mappings'
           + (' [sanitizer build]' if sanitized() else ''))
    figure('scale:   mappings ' + ''.join(f'{op:>10}' for op in ops))
    for count in COUNTS:
        figure(f'scale:   {count:>8} ' + ''.join(f'{table[count][op] * 1e6:>10.1f}'
                                                 for op in ops))
    ratios = {op: table[COUNTS[-1]][op] / table[COUNTS[0]][op] for op in ops}
    figure('scale:   ratio 10000/100: ' + ', '.join(f'{op} {r:.2f}' for op, r in ratios.items()))
    figure(f'scale: daemon VmRSS {rss_before >> 10} KiB with 0 mappings, {rss_after >> 10} KiB '
           f'with {COUNTS[-1]}: {(rss_after - rss_before) / COUNTS[-1]:.0f} bytes per mapping')
    worse = {op: f'{r:.1f}x' for op, r in ratios.items() if r >= RATIO}
    assert not worse, f'cost at {COUNTS[-1]} is {RATIO}x or more the cost at {COUNTS[0]}: {worse}'


def test_sparse_64g(workdir, mounter):
    size = 64 << 30
    path = workdir.join('sparse.bin')
    with open(path, 'wb') as f:
        f.truncate(size)
    if os.stat(path).st_blocks * 512 > (1 << 20):
        pytest.skip('the temporary directory does not keep files sparse')
    d = mounter.start('--map', f'big={path}')
    data = d.path('big', 'data')
    assert os.stat(data).st_size == size
    assert read_node(d.path('big', 'size')) == f'{size}\n'
    assert info(d.mnt, 'big')['file_size'] == str(size)
    rss0 = vm_rss(d.pid)

    head, tail, middle = b'head of 64 GiB' * 300, b'tail of 64 GiB' * 300, b'middle' * 700
    t = time.perf_counter()
    fd = os.open(data, os.O_RDWR)
    try:
        assert os.pwrite(fd, head, 0) == len(head)
        assert os.pwrite(fd, tail, size - len(tail)) == len(tail)
        assert os.pwrite(fd, middle, size // 2 - 1000) == len(middle)
        # The last byte, and one past it: the mapping does not grow.
        assert os.pwrite(fd, b'!', size - 1) == 1
        try:
            os.pwrite(fd, b'x', size)
            raise AssertionError('a write at the end of 64 GiB succeeded')
        except OSError as e:
            assert e.errno == 28
    finally:
        os.close(fd)
    fd = os.open(data, os.O_RDONLY)      # fresh open: the daemon answers
    try:
        assert os.pread(fd, len(head), 0) == head
        assert os.pread(fd, len(tail), size - len(tail)) == tail[:-1] + b'!'
        assert os.pread(fd, len(middle), size // 2 - 1000) == middle
        assert os.pread(fd, 1 << 20, size // 4) == bytes(1 << 20)
        assert os.pread(fd, 10, size) == b''
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - t
    with open(path, 'rb') as f:
        assert f.read(len(head)) == head
        f.seek(size - len(tail))
        assert f.read() == tail[:-1] + b'!'
    res, total = (int(x) for x in read_node(d.path('big', 'resident')).split()[0].split('/'))
    assert total == size // PAGE
    rss1 = vm_rss(d.pid)
    assert write_node(d.path('big', 'flush'), '\n') == 0
    unmount(d.mnt)
    assert d.wait_exit() == 0
    blocks = os.stat(path).st_blocks * 512
    figure(f'scale: 64 GiB sparse file: writes and reads at both ends and the middle in '
           f'{elapsed * 1e3:.1f} ms, {res} of {total} pages resident, daemon VmRSS '
           f'{rss0 >> 10} -> {rss1 >> 10} KiB, file still sparse ({blocks >> 10} KiB allocated)')
    assert rss1 - rss0 < (256 << 20), 'the daemon took hundreds of MiB for a sparse map'
    assert blocks < (16 << 20), 'the file is no longer sparse'
