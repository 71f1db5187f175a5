# SPDX-License-Identifier: LGPL-2.1-or-later
"""Permissions (suite `permissions`): with -o allow_other, a second uid
(65534) reads what the node modes allow and nothing more (DESIGN §2.2,
§5; README "Security model"), with and without -o default_permissions.

Beyond the integration suite's checks, this one tries every way of
changing something (the nodes, the tree, setattr, mmap of data, O_TRUNC,
links and special files), compares the whole state before and after, and
proves with an inotify watch that a `map` request from the second uid
never makes the daemon open the path it names: the request is refused
before any path is looked at. A daemon run by that uid itself cannot
open what the uid cannot.
"""

import ctypes
import errno
import hashlib
import json
import os
import re
import subprocess

import pytest

from helpers import (AS_NOBODY, NOBODY, as_nobody, control_tx, daemon_for_nobody, maps_of,
                     nobody_python, nobody_reaches, pattern, read_bytes, snapshot, unmount)
from rel import Inotify, errname, figure, it

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason='needs root to act as uid 65534')

# Run as uid 65534: attempts every operation and prints {name: errno or 0}.
PROBE = r'''
import ctypes, errno, hashlib, json, mmap, os, sys
mnt, secret = sys.argv[1], sys.argv[2]
res = {}
p = lambda *a: os.path.join(mnt, *a)

def attempt(key, fn):
    try:
        fn()
        res[key] = 0
    except OSError as e:
        res[key] = e.errno

def write(path, text, flags=os.O_WRONLY):
    fd = os.open(path, flags)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)

def read(path):
    with open(path, 'rb') as f:
        return f.read()

def digest(key, path):
    def f():
        res[key + ':sha'] = hashlib.sha256(read(path)).hexdigest()
    attempt(key, f)

def access_w(path):
    # access(2) must give the answer open(2) gives (README).
    if not os.access(path, os.W_OK):
        raise OSError(errno.EACCES, 'access W_OK refused')

def mmap_data(path, flags, prot, write_bytes):
    fd = os.open(path, os.O_RDONLY)
    try:
        m = mmap.mmap(fd, 0, flags=flags, prot=prot)
        if write_bytes:
            m[0:5] = b'EVIL!'
        m.close()
    finally:
        os.close(fd)

# What the modes allow.
attempt('stat-root', lambda: os.stat(mnt))
attempt('list-root', lambda: os.listdir(mnt))
for m in ('m', 'ro', 'a', 'cp'):
    attempt(f'list-{m}', lambda: os.listdir(p(m)))
    for node in ('data', 'info', 'size', 'advise', 'lock', 'resident'):
        digest(f'read-{m}-{node}', p(m, node))
attempt('mmap-shared-read', lambda: mmap_data(p('m', 'data'), mmap.MAP_SHARED,
                                              mmap.PROT_READ, False))
# A private copy is the reader's own: allowed, and must not reach the mapping.
attempt('mmap-private-write', lambda: mmap_data(p('m', 'data'), mmap.MAP_PRIVATE,
                                                mmap.PROT_READ | mmap.PROT_WRITE, True))

# Everything that would change something.
attempt('control-read', lambda: read(p('.control')))
attempt('control-map', lambda: write(p('.control'), f'map evil {secret}\n'))
attempt('control-map-rdwr', lambda: write(p('.control'), f'map evil {secret}\n', os.O_RDWR))
attempt('control-anon', lambda: write(p('.control'), 'anon evil 4096\n'))
attempt('control-unmap', lambda: write(p('.control'), 'unmap m\n'))
attempt('control-append', lambda: write(p('.control'), 'unmap m\n', os.O_WRONLY | os.O_APPEND))
attempt('mkdir', lambda: os.mkdir(p('evil')))
attempt('rmdir', lambda: os.rmdir(p('a')))
attempt('rename', lambda: os.rename(p('m'), p('evil')))
attempt('rename-in', lambda: os.rename(p('m', 'size'), p('m', 'evil')))
for m in ('m', 'a', 'ro', 'cp'):
    attempt(f'size-{m}', lambda: write(p(m, 'size'), '8192\n'))
    attempt(f'advise-{m}', lambda: write(p(m, 'advise'), 'dontneed\n'))
    attempt(f'flush-{m}', lambda: write(p(m, 'flush'), '\n'))
    attempt(f'move-{m}', lambda: write(p(m, 'move'), '0 4096 100\n'))
    attempt(f'lock-{m}', lambda: write(p(m, 'lock'), '1\n'))
    attempt(f'data-write-{m}', lambda: write(p(m, 'data'), 'EVIL'))
    attempt(f'data-rdwr-{m}', lambda: write(p(m, 'data'), 'EVIL', os.O_RDWR))
    attempt(f'data-truncate-{m}', lambda: os.truncate(p(m, 'data'), 100))
    attempt(f'access-w-{m}', lambda: access_w(p(m, 'size')))
attempt('mmap-shared-write', lambda: mmap_data(p('m', 'data'), mmap.MAP_SHARED,
                                               mmap.PROT_READ | mmap.PROT_WRITE, True))
attempt('chmod-data', lambda: os.chmod(p('m', 'data'), 0o666))
attempt('chmod-control', lambda: os.chmod(p('.control'), 0o666))
attempt('chown-data', lambda: os.chown(p('m', 'data'), 65534, 65534))
attempt('create-root', lambda: os.close(os.open(p('evil'), os.O_CREAT | os.O_WRONLY, 0o644)))
attempt('create-map', lambda: os.close(os.open(p('m', 'evil'), os.O_CREAT | os.O_WRONLY,
                                               0o644)))
attempt('unlink-node', lambda: os.unlink(p('m', 'data')))
attempt('symlink', lambda: os.symlink(secret, p('evil')))
attempt('link', lambda: os.link(p('m', 'data'), p('evil')))
attempt('mkfifo', lambda: os.mkfifo(p('evil')))
# O_TRUNC on a read-only open must not cut anything either.
attempt('rdonly-trunc', lambda: os.close(os.open(p('m', 'data'), os.O_RDONLY | os.O_TRUNC)))
print(json.dumps(res))
'''

READ_KEYS = (['stat-root', 'list-root', 'mmap-shared-read', 'mmap-private-write'] +
             [f'list-{m}' for m in ('m', 'ro', 'a', 'cp')] +
             [f'read-{m}-{n}' for m in ('m', 'ro', 'a', 'cp')
              for n in ('data', 'info', 'size', 'advise', 'lock', 'resident')])

# What each refused attempt must answer: the modes say EACCES; chmod and
# chown by a non-owner are EPERM (POSIX, and mmapfs's fixed modes anyway).
REFUSED = {
    'control-read': {errno.EACCES}, 'control-map': {errno.EACCES},
    'control-map-rdwr': {errno.EACCES}, 'control-anon': {errno.EACCES},
    'control-unmap': {errno.EACCES}, 'control-append': {errno.EACCES},
    'mkdir': {errno.EACCES}, 'rmdir': {errno.EACCES}, 'rename': {errno.EACCES},
    'rename-in': {errno.EACCES},
    **{f'{op}-{m}': {errno.EACCES} for m in ('m', 'a', 'ro', 'cp')
       for op in ('size', 'advise', 'flush', 'move', 'lock', 'data-write', 'data-rdwr',
                  'data-truncate', 'access-w')},
    'mmap-shared-write': {errno.EACCES},
    'chmod-data': {errno.EPERM}, 'chmod-control': {errno.EPERM}, 'chown-data': {errno.EPERM},
    # Nothing may create or remove files anywhere (EPERM, for anyone); the
    # directory modes refuse it too (EACCES): either refusal is right.
    **{k: {errno.EACCES, errno.EPERM}
       for k in ('create-root', 'create-map', 'unlink-node', 'symlink', 'link', 'mkfifo')},
}


def secret_file(workdir):
    """A file uid 65534 cannot read (0600 in a 0700 directory), and its dir."""
    vault = workdir.join('vault')
    os.mkdir(vault, 0o700)
    path = os.path.join(vault, 'secret.bin')
    with open(path, 'wb') as f:
        f.write(b'root only ' * 1000)
    os.chmod(path, 0o600)
    return vault, path


def state(d, files):
    return {name: snapshot(d.mnt, name, files.get(name)) for name in ('m', 'ro', 'a', 'cp')}


@pytest.mark.parametrize('options', ['allow_other', 'allow_other,default_permissions'])
def test_second_uid(workdir, mounter, options):
    files = {'m': workdir.lorem('m.txt'), 'ro': workdir.lorem('ro.txt'),
             'cp': workdir.lorem('cp.txt')}
    vault, secret = secret_file(workdir)
    d = mounter.start('-o', options, '--map', f'm={files["m"]}',
                      '--map', f'ro={files["ro"]},access=read',
                      '--map', f'cp={files["cp"]},access=copy', '--anon', 'a=16k')
    with open(d.path('a', 'data'), 'r+b') as f:
        f.write(pattern(16384, 1))
    before = state(d, files)
    nobody_reaches(d.mnt)
    python = nobody_python()
    watch = Inotify(secret, vault)
    try:
        r = as_nobody([python, '-c', PROBE, d.mnt, secret], cwd='/')
        assert r.returncode == 0, r.stderr.decode()
        res = json.loads(r.stdout)
        events = watch.events()
    finally:
        watch.close()

    # It read what the modes allow, the same bytes root reads.
    denied = {k: errname(res[k]) for k in READ_KEYS if res[k] != 0}
    assert not denied, f'reads refused: {denied}'
    for m in ('m', 'ro', 'a', 'cp'):
        assert res[f'read-{m}-data:sha'] == hashlib.sha256(
            read_bytes(d.path(m, 'data'))).hexdigest()
    # And nothing else.
    wrong = {k: errname(res[k]) for k, allowed in REFUSED.items() if res[k] not in allowed}
    assert not wrong, f'not refused as the modes say: {wrong}'
    assert state(d, files) == before, 'uid 65534 changed a mapping'
    assert set(os.listdir(d.mnt)) == {'.control', 'm', 'ro', 'a', 'cp'}
    # The map requests naming the secret never reached an open(2) of it.
    assert events == [], f'the secret was touched: {events}'

    # The watch does see an open: the owner's map of the same path opens it.
    watch = Inotify(secret, vault)
    try:
        assert control_tx(d.mnt, f'map s {secret}\n') == (0, 'ok\n')
        seen = watch.events()
    finally:
        watch.close()
    assert any(path == secret and mask & 0x20 for path, mask, _ in seen), seen
    assert control_tx(d.mnt, 'unmap s\n') == (0, 'ok\n')

    figure(f'permissions ({options}): uid {NOBODY}: {len(READ_KEYS)} reads allowed, '
           f'{len(REFUSED)} changes refused, {len(events)} opens of the secret path, '
           f'state unchanged')


_libc = ctypes.CDLL(None, use_errno=True)
MS_NOSUID, MS_NODEV = 2, 4


def premount(mnt, uid):
    """Mount an empty FUSE connection on MNT for UID; its /dev/fuse descriptor.

    /dev/fuse may be closed to other users (it is 0600 here), and libfuse
    then cannot mount for them; as mount.fuse3's drop_privileges does, root
    mounts and hands the descriptor over as the mount point /dev/fd/N.
    """
    fd = os.open('/dev/fuse', os.O_RDWR)
    os.set_inheritable(fd, True)
    opts = f'fd={fd},rootmode=40000,user_id={uid},group_id={uid},allow_other'
    if _libc.mount(b'mmapfs', os.fsencode(mnt), b'fuse.mmapfs', MS_NOSUID | MS_NODEV,
                   opts.encode()) != 0:
        e = ctypes.get_errno()
        os.close(fd)
        pytest.skip(f'cannot mount a FUSE connection by hand: {os.strerror(e)}')
    return fd


def test_daemon_of_second_uid_cannot_open_what_it_cannot(workdir):
    """A daemon run by uid 65534 maps with that uid's rights only (EACCES).

    The uid runs the build's daemon where it can reach it, or a copy of it
    and of libmmapfs in the test's own directory (daemon_for_nobody), and
    the test proves from /proc which one ran: a checkout under /root must
    not turn into a daemon that never started.
    """
    nobody_reaches(workdir.path)
    vault, secret = secret_file(workdir)
    readable = workdir.file('pub.bin', b'public ' * 1000, mode=0o644)
    mnt = workdir.mountpoint()
    exe, libs = daemon_for_nobody(workdir)
    python = nobody_python()

    # The uid can run it at all: a setup problem is a failure that says so.
    r = as_nobody([exe, '--version'], cwd='/')
    assert r.returncode == 0, (f'uid {NOBODY} cannot run {exe}: '
                               f'{r.stderr.decode("utf-8", "replace")}')

    # On the command line: refused with the sentence, before serving.
    fd = premount(mnt, NOBODY)
    try:
        r = subprocess.run([*AS_NOBODY, exe, '-f', '--map', f's={secret}', f'/dev/fd/{fd}'],
                           pass_fds=(fd,), capture_output=True, timeout=60)
    finally:
        os.close(fd)
        unmount(mnt)
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode().startswith('mmapfs: '), r.stderr
    assert 'Permission denied' in r.stderr.decode() or 'EACCES' in r.stderr.decode(), r.stderr

    fd = premount(mnt, NOBODY)
    log = workdir.join('nobody.log')
    with open(log, 'wb') as out:
        proc = subprocess.Popen([*AS_NOBODY, exe, '-f', '--map', f'pub={readable},access=read',
                                 f'/dev/fd/{fd}'], pass_fds=(fd,), stdout=out,
                                stderr=subprocess.STDOUT)
    os.close(fd)
    try:
        script = ('import json, os, sys\n'
                  'fd = os.open(sys.argv[1] + "/.control", os.O_RDWR)\n'
                  'err = 0\n'
                  'try:\n'
                  '    os.write(fd, ("map s %s\\n" % sys.argv[2]).encode())\n'
                  'except OSError as e:\n'
                  '    err = e.errno\n'
                  'out = os.read(fd, 4096).decode()\n'
                  'head = open(sys.argv[1] + "/pub/data", "rb").read(7).decode()\n'
                  'print(json.dumps([err, out, head, sorted(os.listdir(sys.argv[1]))]))\n')
        r = as_nobody([python, '-c', script, mnt, secret], cwd='/')
        assert r.returncode == 0, r.stderr.decode()
        err, outcome, head, listing = json.loads(r.stdout)
        assert err == errno.EACCES, errname(err)
        assert outcome.startswith('error: EACCES: '), outcome
        assert head == 'public '
        assert listing == ['.control', 'pub']
        assert proc.poll() is None, 'the daemon died'
        # What served those requests: the uid's daemon, from the copy.
        status = open(f'/proc/{proc.pid}/status').read()
        assert re.search(rf'^Uid:\s+{NOBODY}\s', status, re.M), status
        assert os.readlink(f'/proc/{proc.pid}/exe') == os.path.realpath(exe)
        mapped = maps_of(proc.pid)
        missing = [lib for lib in libs if os.path.realpath(lib) not in mapped]
        assert not missing, f'the daemon did not load the copies {missing}: {sorted(mapped)}'
    finally:
        unmount(mnt)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    with open(log, 'rb') as f:
        output = f.read().decode('utf-8', 'replace')
    assert rc == 0, output
    assert not it.BAD_OUTPUT.search(output), output
    where = 'a copy in the test directory' if libs else 'the build'
    figure(f'permissions: a daemon run by uid {NOBODY} from {where} refused its own map of a '
           f'file it cannot read with EACCES, on the command line and through .control')
