# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault injection (suite `faults`): the daemon killed, files pulled from
under its mappings, a full disk, and its limits (locked memory, file
descriptors, address space) exhausted.

Whatever happens, nothing acknowledged may be lost, a refused request must
change nothing (checked with the integration suite's snapshot: data hash,
the stable info keys, the node texts, the tree, the backing file), and
the daemon must stay up unless it is the one being killed.
"""

import errno
import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time

import pytest

from helpers import (PAGE, control, control_tx, info, pattern, read_bytes, read_node, snapshot,
                     unmount, write_node)
from rel import errname, figure, request_bound, sanitized

# Totals over the module, reported at the end.
TOTALS = {'faults': 0, 'acked_bytes': 0, 'lost_bytes': 0}


@pytest.fixture(scope='module', autouse=True)
def report_totals():
    yield
    figure(f'faults: {TOTALS["faults"]} faults injected, {TOTALS["acked_bytes"]} bytes '
           f'acknowledged by write(2) before kill -9, {TOTALS["lost_bytes"]} bytes lost')


def injected(n=1):
    TOTALS['faults'] += n


def is_root():
    return os.geteuid() == 0


# -- kill -9 during a write storm ------------------------------------------------

SLOT = 1000               # bytes per record; not page-aligned on purpose
SLOTS_PER_WRITER = 256
WRITERS = 4

# One writer process: overwrites random slots of its own range with
# versioned records until the mount dies, then prints which version of each
# slot write(2) acknowledged, and the one it was writing when it failed.
STORM = r'''
import hashlib, json, os, random, sys
path, wid, slots, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base = wid * slots * size
rng = random.Random(wid)

def record(slot, version):
    seed = hashlib.sha256(b'%d %d %d' % (wid, slot, version)).digest()
    return (seed * (size // len(seed) + 1))[:size]

acked, pending, version, error = {}, None, 0, None
fd = os.open(path, os.O_WRONLY)
sys.stdout.write('started\n'); sys.stdout.flush()
try:
    while True:
        slot = rng.randrange(slots)
        version += 1
        pending = [slot, version]
        n = os.pwrite(fd, record(slot, version), base + slot * size)
        if n != size:
            # Acknowledges the first n bytes only: the kernel split the
            # write and the mount died between the parts.
            pending.append(n)
            os.pwrite(fd, b'x', base + slot * size + n)
            error = 'the write after a short write succeeded'
            break
        acked[slot] = version
        pending = None
except OSError as e:
    error = e.errno
print(json.dumps({'acked': acked, 'pending': pending, 'writes': version - (pending is not None),
                  'error': error}))
'''


def storm_record(wid, slot, version):
    seed = hashlib.sha256(b'%d %d %d' % (wid, slot, version)).digest()
    return (seed * (SLOT // len(seed) + 1))[:SLOT]


@pytest.mark.parametrize('cache', ['auto', 'never', 'always'])
def test_kill9_during_write_storm(workdir, mounter, cache):
    """Every byte write(2) acknowledged is in the backing file after SIGKILL."""
    size = WRITERS * SLOTS_PER_WRITER * SLOT
    initial = pattern(size, 7)
    path = workdir.file('storm.bin', initial)
    d = mounter.start('-o', f'cache={cache}', '--map', f's={path}')
    d.expect_exit = None
    writers = [subprocess.Popen([sys.executable, '-c', STORM, d.path('s', 'data'), str(w),
                                 str(SLOTS_PER_WRITER), str(SLOT)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for w in range(WRITERS)]
    for w in writers:
        assert w.stdout.readline() == b'started\n'
    time.sleep(0.3 + random.random())
    d.proc.kill()
    injected()
    assert d.wait_exit(10) == -9
    results = []
    for w in writers:
        out, err = w.communicate(timeout=request_bound())
        assert w.returncode == 0, err.decode()
        results.append(json.loads(out))
    # Every writer stopped because the mount died, not for another reason.
    assert all(r['error'] in (errno.ENOTCONN, errno.ECONNABORTED) for r in results), \
        [r['error'] for r in results]

    # The dead mount is cleaned up by fusermount3 -u, as the README says.
    r = subprocess.run(['fusermount3', '-u', d.mnt], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert not os.path.ismount(d.mnt)

    with open(path, 'rb') as f:
        after = f.read()
    assert len(after) == size
    acked_bytes = lost = 0
    garbage = []
    for wid, res in enumerate(results):
        pending = res['pending']
        acked_bytes += res['writes'] * SLOT
        for slot in range(SLOTS_PER_WRITER):
            at = (wid * SLOTS_PER_WRITER + slot) * SLOT
            got = after[at:at + SLOT]
            version = res['acked'].get(str(slot))
            old = storm_record(wid, slot, version) if version else initial[at:at + SLOT]
            if pending and pending[0] == slot:
                # In flight at the kill: each byte may be the old or the new
                # record's (the copy may have been cut), except the first
                # bytes a short write acknowledged, which must be new.
                new = storm_record(wid, slot, pending[1])
                short = pending[2] if len(pending) > 2 else 0
                acked_bytes += short
                lost += sum(g != n for g, n in zip(got[:short], new[:short]))
                if all(g in (o, n) for g, o, n in zip(got[short:], old[short:], new[short:])):
                    continue
            if got != old:
                if version:
                    lost += sum(g != o for g, o in zip(got, old))
                else:
                    garbage.append((wid, slot))
    TOTALS['acked_bytes'] += acked_bytes
    TOTALS['lost_bytes'] += lost
    writes = sum(r['writes'] for r in results)
    figure(f'faults: kill -9 (cache={cache}) after {writes} acknowledged writes '
           f'({acked_bytes} bytes) from {WRITERS} processes: {lost} bytes lost')
    assert writes > 0, 'the storm wrote nothing before the kill'
    assert lost == 0
    assert not garbage, f'slots never written changed: {garbage[:10]}'

    # A new mount on the same mountpoint works and serves the file.
    d2 = mounter.start('-o', f'cache={cache}', '--map', f's={path}', mnt=d.mnt)
    assert read_bytes(d2.path('s', 'data')) == after
    assert write_node(d2.path('s', 'data'), b'after the crash', os.O_WRONLY) == 0
    with open(path, 'rb') as f:
        assert f.read(15) == b'after the crash'


# -- the backing file truncated or deleted underneath ---------------------------

def pread_errno(path, size, offset):
    """(errno or 0, bytes) of one pread through a fresh open."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        return e.errno, b''
    try:
        return 0, os.pread(fd, size, offset)
    except OSError as e:
        return e.errno, b''
    finally:
        os.close(fd)


def pwrite_errno(path, data, offset):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return e.errno
    try:
        os.pwrite(fd, data, offset)
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


@pytest.mark.parametrize('cache', ['auto', 'never'])
def test_truncated_underneath(workdir, mounter, cache):
    """Reads and writes of the lost range are EIO; the daemon lives."""
    content = pattern(8 * PAGE, 3)
    path = workdir.file('t.bin', content)
    other = workdir.file('o.bin', pattern(PAGE, 4))
    d = mounter.start('-o', f'cache={cache}', '--map', f't={path}', '--map', f'o={other}')
    data = d.path('t', 'data')
    os.truncate(path, 2 * PAGE)
    injected()
    assert pread_errno(data, 100, 5 * PAGE)[0] == errno.EIO
    assert pread_errno(data, PAGE, 8 * PAGE - PAGE)[0] == errno.EIO
    assert pwrite_errno(data, b'lost', 4 * PAGE) == errno.EIO
    # The mapping's length is what it was; the daemon and the other mapping serve.
    assert os.stat(data).st_size == 8 * PAGE
    assert read_node(d.path('t', 'size')) == f'{8 * PAGE}\n'
    assert info(d.mnt, 't')['last_error'] != 'none'
    assert read_bytes(d.path('o', 'data')) == pattern(PAGE, 4)
    # The pages that survived are intact, and the write refused did not land.
    with open(path, 'rb') as f:
        assert f.read() == content[:2 * PAGE]
    # Give the file its length back: the lost range reads as the zeros the
    # file now holds, the rest as before.
    os.truncate(path, 8 * PAGE)
    assert read_bytes(data) == content[:2 * PAGE] + bytes(6 * PAGE)
    assert d.alive()


def test_deleted_underneath(workdir, mounter):
    """Unlinking loses nothing; truncating the unlinked file gives EIO."""
    content = pattern(4 * PAGE, 5)
    path = workdir.file('del.bin', content)
    d = mounter.start('--map', f'd={path}')
    data = d.path('d', 'data')
    held = os.open(path, os.O_RDWR)
    try:
        os.unlink(path)
        injected()
        assert read_bytes(data) == content
        assert write_node(data, b'still here', os.O_WRONLY) == 0
        assert os.pread(held, 10, 0) == b'still here'
        os.ftruncate(held, PAGE)
        injected()
        assert pread_errno(data, 10, 3 * PAGE)[0] == errno.EIO
        assert pwrite_errno(data, b'x', 2 * PAGE) == errno.EIO
        assert os.pread(held, 2 * PAGE, 0) == b'still here' + content[10:PAGE]
        assert read_node(d.path('d', 'size')) == f'{4 * PAGE}\n'
        assert d.alive()
    finally:
        os.close(held)


def test_truncate_storm(workdir, mounter):
    """Readers and writers racing truncations only ever see bytes or EIO."""
    pages = 16
    path = workdir.file('storm.bin', bytes(pages * PAGE))
    d = mounter.start('--map', f's={path}')
    data = d.path('s', 'data')
    stop = threading.Event()
    seen = {}
    cuts = [0]

    def cutter():
        rng = random.Random(1)
        while not stop.is_set():
            os.truncate(path, rng.randrange(pages) * PAGE)
            cuts[0] += 1
            time.sleep(0.002)
            os.truncate(path, pages * PAGE)
            time.sleep(0.002)

    def client(seed):
        rng = random.Random(seed)
        while not stop.is_set():
            off = rng.randrange(pages * PAGE)
            if rng.random() < 0.5:
                err, _ = pread_errno(data, rng.randint(1, 3 * PAGE), off)
            else:
                err = pwrite_errno(data, bytes(rng.randint(1, PAGE)), off)
            seen[err] = seen.get(err, 0) + 1

    threads = [threading.Thread(target=cutter)] + [
        threading.Thread(target=client, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join(request_bound() + 10)
    assert not any(t.is_alive() for t in threads), 'a request hung'
    injected(cuts[0])
    figure(f'faults: truncate storm: {cuts[0]} truncations under 3 clients, outcomes '
           f'{ {errname(k): v for k, v in sorted(seen.items())} }')
    assert set(seen) <= {0, errno.EIO}, {errname(k): v for k, v in seen.items()}
    assert d.alive()
    # Whole again, the file and the mount agree.
    fresh = pattern(pages * PAGE, 9)
    with open(path, 'r+b') as f:
        f.write(fresh)
    assert read_bytes(data) == fresh


# -- disk full ---------------------------------------------------------------------

@pytest.mark.skipif(not is_root(), reason='mounting a tmpfs needs root')
def test_disk_full_resize(workdir, mounter):
    """Growing a file-backed mapping on a full tmpfs is ENOSPC; nothing changes."""
    small = workdir.join('small')
    os.mkdir(small)
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', small],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip(f'cannot mount a tmpfs: {r.stderr.decode().strip()}')
    d = None
    try:
        path = os.path.join(small, 'f.bin')
        with open(path, 'wb') as f:
            f.write(pattern(64 * 1024, 11))
        d = mounter.start('--map', f'f={path}')
        size = d.path('f', 'size')

        before = snapshot(d.mnt, 'f', path)
        assert write_node(size, '1M\n') == errno.ENOSPC
        injected()
        assert snapshot(d.mnt, 'f', path) == before
        assert info(d.mnt, 'f')['last_error'] != 'none'

        # Fill the rest of the disk, then ask for one more page.
        filler = os.path.join(small, 'filler')
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b'\xff' * PAGE)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        before = snapshot(d.mnt, 'f', path)
        assert write_node(size, f'{64 * 1024 + PAGE}\n') == errno.ENOSPC
        injected()
        assert snapshot(d.mnt, 'f', path) == before
        # The mapping still takes writes and reads in its range.
        assert write_node(d.path('f', 'data'), b'ok', os.O_WRONLY) == 0
        with open(path, 'rb') as f:
            assert f.read(2) == b'ok'
        # With room again, the same resize works.
        os.unlink(filler)
        assert write_node(size, f'{64 * 1024 + PAGE}\n') == 0
        assert os.path.getsize(path) == 64 * 1024 + PAGE
        assert d.alive()
        unmount(d.mnt)
        assert d.wait_exit() == 0
    finally:
        # The daemon must let go of the file before the tmpfs can go.
        if d is not None and os.path.ismount(d.mnt):
            unmount(d.mnt)
            d.wait_exit()
        if subprocess.run(['umount', small], capture_output=True).returncode != 0:
            subprocess.run(['umount', '-l', small], capture_output=True)


# -- locked memory -----------------------------------------------------------------

NO_IPC_LOCK = ['setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock']

MLOCK_PROBE = r'''
import ctypes, mmap, sys
n = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
m = mmap.mmap(-1, n)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
r = libc.mlock(ctypes.c_void_p(addr), ctypes.c_size_t(n))
print(0 if r == 0 else ctypes.get_errno())
'''


def kernel_mlock_errno(limit, size):
    """What mlock(2) of SIZE bytes gives a process with the daemon's limits."""
    r = subprocess.run(['prlimit', f'--memlock={limit}:{limit}', *NO_IPC_LOCK, sys.executable,
                        '-c', MLOCK_PROBE, str(size)], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    return int(r.stdout)


@pytest.mark.skipif(not is_root(), reason='dropping CAP_IPC_LOCK is only meaningful as root')
@pytest.mark.parametrize('limit', [0, 64 * 1024])
def test_mlock_over_limit(workdir, mounter, limit):
    """mlock past RLIMIT_MEMLOCK without CAP_IPC_LOCK: the kernel's errno, nothing changed."""
    if sanitized():
        pytest.skip('AddressSanitizer turns mlock(2) into a no-op')
    big = 1 << 20
    path = workdir.file('big.bin', pattern(big, 12))
    d = mounter.start('--map', f'big={path}', '--anon', 'small=16k',
                      wrapper=['prlimit', f'--memlock={limit}:{limit}', *NO_IPC_LOCK])
    want = kernel_mlock_errno(limit, big)
    assert want in (errno.ENOMEM, errno.EPERM), errname(want)
    before = snapshot(d.mnt, 'big', path)
    got = write_node(d.path('big', 'lock'), '1\n')
    injected()
    assert got == want, f'daemon {errname(got)}, kernel {errname(want)}'
    assert snapshot(d.mnt, 'big', path) == before
    assert read_node(d.path('big', 'lock')) == '0\n'
    # Within the limit, locking works: the refusal above was the limit's.
    small_want = kernel_mlock_errno(limit, 16 * 1024)
    assert write_node(d.path('small', 'lock'), '1\n') == small_want
    assert read_node(d.path('small', 'lock')) == ('1\n' if small_want == 0 else '0\n')


# -- file descriptors and address space ------------------------------------------------

def daemon_fds(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


def set_limit(pid, option):
    r = subprocess.run(['prlimit', '--pid', str(pid), option], capture_output=True)
    assert r.returncode == 0, r.stderr.decode()


def test_out_of_file_descriptors(workdir, mounter):
    """New maps past RLIMIT_NOFILE fail with EMFILE and a sentence; old ones are untouched."""
    files = [workdir.file(f'f{i}.bin', pattern(PAGE, 20 + i)) for i in range(12)]
    d = mounter.start('--map', f'keep={files[0]}', '--anon', 'anon=8k')
    with open(d.path('anon', 'data'), 'r+b') as f:
        f.write(b'anonymous bytes')
    # The daemon runs under a limit a few descriptors above what it uses now.
    limit = daemon_fds(d.pid) + 4
    set_limit(d.pid, f'--nofile={limit}:{limit}')

    def state(name):
        snap = snapshot(d.mnt, name, files[0] if name == 'keep' else None)
        del snap['tree']      # the maps that fitted are new entries
        return snap

    before = {n: state(n) for n in ('keep', 'anon')}

    made, failures = [], []
    for i, path in enumerate(files[1:], 1):
        line = f'map m{i} {path}\n' if i % 2 else f'anon m{i} 8k\n'
        err, outcome = control_tx(d.mnt, line)
        if err == 0:
            made.append(f'm{i}')
            continue
        injected()
        failures.append((err, outcome))
        assert f'm{i}' not in os.listdir(d.mnt)
    assert failures, f'{len(made)} maps under a limit of {limit} descriptors all worked'
    for err, outcome in failures:
        assert err == errno.EMFILE, errname(err)
        assert outcome.startswith('error: EMFILE: ') and len(outcome.strip()) > 20, outcome
    # mkdir needs a descriptor too (anonymous memory is a memfd).
    try:
        os.mkdir(d.path('more'))
        mkdir_err = 0
    except OSError as e:
        mkdir_err = e.errno
    assert mkdir_err == errno.EMFILE, errname(mkdir_err)
    injected()
    for n in ('keep', 'anon'):
        assert state(n) == before[n]
    # Existing mappings still serve; freeing one descriptor lets a map succeed.
    assert read_bytes(d.path('anon', 'data'))[:15] == b'anonymous bytes'
    assert made, 'not even one map fitted under the limit'
    assert control(d.mnt, f'unmap {made[0]}\n') == 0
    assert control(d.mnt, f'map again {files[-1]}\n') == 0
    assert read_bytes(d.path('again', 'data')) == pattern(PAGE, 20 + len(files) - 1)
    figure(f'faults: RLIMIT_NOFILE {limit}: {len(made)} maps fitted, {len(failures) + 1} '
           f'refused with EMFILE, existing mappings unchanged')
    # Still at its limit, the daemon must unmount, flush and exit 0 like any other time.
    unmount(d.mnt)
    rc = d.wait_exit()
    assert rc == 0, f'mmapfs exited with {rc} at its descriptor limit:\n' + d.output()[-600:]


def vm_size(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmSize:'):
                return int(line.split()[1]) * 1024
    raise AssertionError('no VmSize')


def test_out_of_address_space(workdir, mounter):
    """New maps and resizes past RLIMIT_AS fail with ENOMEM; old ones are untouched."""
    if sanitized():
        pytest.skip('AddressSanitizer reserves terabytes of shadow memory: RLIMIT_AS '
                    'cannot be lowered under it')
    keep = workdir.file('keep.bin', pattern(64 * 1024, 30))
    sparse = workdir.join('sparse.bin')
    with open(sparse, 'wb') as f:
        f.truncate(4 << 30)
    d = mounter.start('--map', f'keep={keep}', '--anon', 'anon=64k')
    limit = vm_size(d.pid) + (256 << 20)
    set_limit(d.pid, f'--as={limit}:{limit}')
    before = {'keep': snapshot(d.mnt, 'keep', keep), 'anon': snapshot(d.mnt, 'anon')}

    refused = []
    for line in ('anon big 1G\n', f'map huge {sparse}\n'):
        err, outcome = control_tx(d.mnt, line)
        refused.append(err)
        assert err == errno.ENOMEM, (line, errname(err), outcome)
        assert outcome.startswith('error: ENOMEM: '), outcome
    for name in ('keep', 'anon'):
        assert write_node(d.path(name, 'size'), '2G\n') == errno.ENOMEM
        refused.append(errno.ENOMEM)
    injected(len(refused))
    assert set(os.listdir(d.mnt)) == {'.control', 'keep', 'anon'}
    assert snapshot(d.mnt, 'keep', keep) == before['keep']
    assert snapshot(d.mnt, 'anon') == before['anon']
    # What fits still works.
    assert control(d.mnt, 'anon small 1M\n') == 0
    assert write_node(d.path('keep', 'size'), '128k\n') == 0
    assert os.path.getsize(keep) == 128 * 1024
    figure(f'faults: RLIMIT_AS {limit >> 20} MiB: {len(refused)} maps/resizes refused with '
           f'ENOMEM, existing mappings unchanged')
