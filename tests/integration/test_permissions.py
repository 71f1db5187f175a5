# SPDX-License-Identifier: LGPL-2.1-or-later
"""Who may do what (DESIGN §2.2, §5). With -o allow_other a second user
(uid 65534) may read data and info but is refused (EACCES) everything that
changes a mapping or the tree; without allow_other it cannot even look.
"""

import errno
import hashlib
import json
import os

import pytest

from helpers import PAGE, as_nobody, nobody_python, nobody_reaches, read_bytes, read_node, snapshot

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason='needs root to act as uid 65534')

# Runs as uid 65534; prints {operation: errno or 0} as JSON.
PROBE = r'''
import hashlib, json, os, sys
mnt = sys.argv[1]
res = {}

def attempt(key, fn):
    try:
        fn()
        res[key] = 0
    except OSError as e:
        res[key] = e.errno

def write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)

def read(key, path):
    def f():
        with open(path, 'rb') as fh:
            res[key + ':sha'] = hashlib.sha256(fh.read()).hexdigest()
    attempt(key, f)

p = lambda *a: os.path.join(mnt, *a)
attempt('stat-root', lambda: os.stat(mnt))
attempt('list-root', lambda: os.listdir(mnt))
attempt('list-map', lambda: os.listdir(p('m')))
for node in ('data', 'info', 'size', 'advise', 'lock', 'resident'):
    read('read-' + node, p('m', node))
read('read-ro-data', p('ro', 'data'))
read('read-control', p('.control'))
read('read-flush', p('m', 'flush'))
read('read-move', p('m', 'move'))
attempt('write-control', lambda: write(p('.control'), 'anon evil 4096\n'))
attempt('write-control-unmap', lambda: write(p('.control'), 'unmap m\n'))
attempt('mkdir', lambda: os.mkdir(p('evil')))
attempt('rmdir', lambda: os.rmdir(p('m')))
attempt('rename', lambda: os.rename(p('m'), p('evil')))
attempt('write-size', lambda: write(p('m', 'size'), '8192\n'))
attempt('write-advise', lambda: write(p('m', 'advise'), 'sequential\n'))
attempt('write-flush', lambda: write(p('m', 'flush'), '\n'))
attempt('write-move', lambda: write(p('m', 'move'), '0 4096 100\n'))
attempt('write-lock', lambda: write(p('m', 'lock'), '1\n'))
attempt('write-data', lambda: write(p('m', 'data'), 'evil'))
attempt('write-anon-data', lambda: write(p('a', 'data'), 'evil'))
attempt('truncate-data', lambda: os.truncate(p('m', 'data'), 100))
print(json.dumps(res))
'''


def probe(mnt):
    nobody_reaches(mnt)
    r = as_nobody([nobody_python(), '-c', PROBE, mnt], cwd='/')
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def shared(workdir, mounter):
    path = workdir.lorem('m.txt')
    ro = workdir.lorem('ro.txt')
    d = mounter.start('-o', 'allow_other', '--map', f'm={path}', '--map',
                      f'ro={ro},access=read', '--anon', 'a=8k')
    return d, path


def test_other_user_reads(shared):
    d, path = shared
    res = probe(d.mnt)
    for key in ('stat-root', 'list-root', 'list-map', 'read-data', 'read-info', 'read-size',
                'read-advise', 'read-lock', 'read-resident', 'read-ro-data'):
        assert res[key] == 0, (key, errno.errorcode.get(res[key]))
    assert res['read-data:sha'] == sha(read_bytes(d.path('m', 'data')))
    assert res['read-ro-data:sha'] == sha(read_bytes(d.path('ro', 'data')))


REFUSED = ['read-control', 'read-flush', 'read-move', 'write-control', 'write-control-unmap',
           'mkdir', 'rmdir', 'rename', 'write-size', 'write-advise', 'write-flush',
           'write-move', 'write-lock', 'write-data', 'write-anon-data', 'truncate-data']


def test_other_user_refused(shared):
    d, path = shared
    before = snapshot(d.mnt, 'm', path)
    before_a = snapshot(d.mnt, 'a')
    res = probe(d.mnt)
    wrong = {k: errno.errorcode.get(res[k], res[k]) for k in REFUSED if res[k] != errno.EACCES}
    assert not wrong, f'expected EACCES: {wrong}'
    assert snapshot(d.mnt, 'm', path) == before
    assert snapshot(d.mnt, 'a') == before_a
    assert set(os.listdir(d.mnt)) == {'.control', 'm', 'ro', 'a'}
    # The owner still can.
    assert read_node(d.path('m', 'lock')) == '0\n'
    with open(d.path('m', 'size'), 'w') as f:
        f.write(f'{2 * PAGE}\n')
    assert os.path.getsize(path) == 2 * PAGE


def test_without_allow_other_others_cannot_look(workdir, mounter):
    d = mounter.start('--anon', 'a=4k')
    nobody_reaches(d.mnt)
    r = as_nobody([nobody_python(), '-c',
                   'import os, sys\n'
                   'try:\n'
                   '    os.stat(sys.argv[1] + "/a/data"); print(0)\n'
                   'except OSError as e:\n'
                   '    print(e.errno)\n', d.mnt], cwd='/')
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == errno.EACCES
