# SPDX-License-Identifier: LGPL-2.1-or-later
"""The daemon's command line (DESIGN §2.1, §5): --map, --anon, -o map=,
-o anon=, -o mapfile=, relative paths, refusals that mount nothing, -h,
--version, and starting without -f.
"""

import json
import os
import re
import subprocess
import time

import pytest

from helpers import (PAGE, escape_path, info, is_mounted, mmapfs_exe, read_bytes, read_node,
                     unmount)


def file_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def test_no_maps_empty_tree(mounter):
    d = mounter.start()
    assert os.listdir(d.mnt) == ['.control']
    assert read_bytes(d.path('.control')) == b''


def test_map_with_every_option(workdir, mounter):
    path = workdir.lorem()
    d = mounter.start('--map', f'm={path},access=read,offset={PAGE},length={2 * PAGE}')
    inf = info(d.mnt, 'm')
    assert (inf['access'], inf['offset'], inf['length'], inf['path']) == \
        ('read', str(PAGE), str(2 * PAGE), path)
    assert read_bytes(d.path('m', 'data')) == file_bytes(path)[PAGE:3 * PAGE]


@pytest.mark.parametrize('access', ['read', 'write', 'copy', 'default'])
def test_map_access(workdir, mounter, access):
    path = workdir.lorem()
    d = mounter.start('--map', f'm={path},access={access}')
    assert info(d.mnt, 'm')['access'] == access


def test_map_default_access_is_write(workdir, mounter):
    path = workdir.lorem()
    d = mounter.start('--map', f'm={path}')
    assert info(d.mnt, 'm')['access'] == 'write'
    with open(d.path('m', 'data'), 'r+b') as f:
        f.write(b'W')
    assert file_bytes(path)[:1] == b'W'


def test_several_maps_and_anons(workdir, mounter):
    a = workdir.lorem('a.txt')
    b = workdir.lorem('b.txt')
    d = mounter.start('--map', f'a={a}', '--map', f'b={b},length=100', '--anon', 'x=16k',
                      '--anon', 'y=0x1000')
    assert set(os.listdir(d.mnt)) == {'.control', 'a', 'b', 'x', 'y'}
    assert read_node(d.path('x', 'size')) == '16384\n'
    assert read_node(d.path('y', 'size')) == '4096\n'
    assert read_node(d.path('b', 'size')) == '100\n'


def test_o_map_and_anon(workdir, mounter):
    path = workdir.lorem()
    d = mounter.start('-o', f'map=fm={path}', '-o', 'anon=fa=8k')
    assert info(d.mnt, 'fm')['access'] == 'write'
    assert info(d.mnt, 'fm')['path'] == path
    assert read_node(d.path('fa', 'size')) == '8192\n'


def test_o_several_in_one(workdir, mounter):
    path = workdir.lorem()
    d = mounter.start('-o', f'map=fm={path},anon=fa=8k,cache=never')
    assert {'fm', 'fa'} <= set(os.listdir(d.mnt))


def test_o_mapfile(workdir, mounter):
    path = workdir.lorem()
    odd = os.fsencode(workdir.path) + b'/map file\twith\\odd\xffname'
    with open(odd, 'wb') as f:
        f.write(b'odd file ' * 1000)
    mapfile = workdir.file('maps.conf', b'# maps for the test\n'
                           b'\n'
                           b'map mf ' + path.encode() + b' access=read offset=4096\n'
                           b'# another comment\n'
                           b'map odd ' + escape_path(odd) + b' access=copy\n'
                           b'anon ma 12k\n'
                           b'map last ' + path.encode() + b' length=10')
    d = mounter.start('-o', f'mapfile={mapfile}')
    assert set(os.listdir(d.mnt)) == {'.control', 'mf', 'odd', 'ma', 'last'}
    assert info(d.mnt, 'mf')['offset'] == '4096'
    assert read_bytes(d.path('odd', 'data')) == b'odd file ' * 1000
    assert read_node(d.path('ma', 'size')) == '12288\n'
    assert read_node(d.path('last', 'size')) == '10\n'


def test_mapfile_from_saved_listing(workdir, mounter):
    """What `cat .control` prints is a valid mapfile."""
    path = workdir.lorem()
    d = mounter.start('--map', f'one={path},access=read', '--anon', 'two=8k')
    saved = workdir.file('saved', read_bytes(d.path('.control')))
    d2 = mounter.start('-o', f'mapfile={saved}')
    assert set(os.listdir(d2.mnt)) == {'.control', 'one', 'two'}
    assert info(d2.mnt, 'one')['access'] == 'read'
    assert read_node(d2.path('two', 'size')) == '8192\n'


def test_relative_paths(workdir, mounter):
    workdir.lorem('rel.txt')
    os.mkdir(workdir.join('sub'))
    workdir.lorem('sub/deep.txt')
    d = mounter.start('--map', 'r=rel.txt', '-o', 'map=s=sub/deep.txt', cwd=workdir.path)
    assert info(d.mnt, 'r')['path'] == workdir.join('rel.txt')
    assert info(d.mnt, 's')['path'] == workdir.join('sub', 'deep.txt')
    assert read_bytes(d.path('r', 'data')) == file_bytes(workdir.join('rel.txt'))


def test_single_threaded(workdir, mounter):
    path = workdir.lorem()
    d = mounter.start('-s', '--map', f'm={path}')
    assert read_bytes(d.path('m', 'data')) == file_bytes(path)


# -- refusals: exit non-zero, a sentence, nothing mounted ------------------------

def failing_args(workdir):
    lorem = workdir.lorem()
    workdir.file('empty', b'')
    bad_mapfile = workdir.file('bad.conf', f'anon ok 4096\nmap x {workdir.join("nope")}\n'
                               .encode())
    return {
        'missing': ['--map', f'x={workdir.join("nope")}'],
        'directory': ['--map', f'x={workdir.path}'],
        'device': ['--map', 'x=/dev/zero'],
        'empty': ['--map', f'x={workdir.join("empty")}'],
        'bad-name': ['--map', f'.x={lorem}'],
        'long-name': ['--map', f'{"n" * 256}={lorem}'],
        'no-equals': ['--map', lorem],
        'bad-access': ['--map', f'x={lorem},access=all'],
        'unknown-option': ['--map', f'x={lorem},mode=7'],
        'unaligned': ['--map', f'x={lorem},offset=100'],
        'too-long': ['--map', f'x={lorem},length=1M'],
        'duplicate': ['--map', f'x={lorem}', '--anon', 'x=4k'],
        'anon-zero': ['--anon', 'x=0'],
        'anon-bad-size': ['--anon', 'x=8KB'],
        'anon-overflow': ['--anon', f'x={1 << 64}'],
        'o-map-missing': ['-o', f'map=x={workdir.join("nope")}'],
        'o-anon-bad': ['-o', 'anon=x=lots'],
        'mapfile-missing': ['-o', f'mapfile={workdir.join("nope.conf")}'],
        'mapfile-bad-line': ['-o', f'mapfile={bad_mapfile}'],
        'relative-missing': ['--map', 'x=not-here.txt'],
        'one-good-one-bad': ['--anon', 'good=4k', '--map', f'x={workdir.join("nope")}'],
    }


FAIL_IDS = ['missing', 'directory', 'device', 'empty', 'bad-name', 'long-name', 'no-equals',
            'bad-access', 'unknown-option', 'unaligned', 'too-long', 'duplicate',
            'anon-zero', 'anon-bad-size', 'anon-overflow', 'o-map-missing', 'o-anon-bad',
            'mapfile-missing', 'mapfile-bad-line', 'relative-missing', 'one-good-one-bad']


@pytest.mark.parametrize('case', FAIL_IDS)
def test_failing_map_mounts_nothing(workdir, mounter, case):
    args = failing_args(workdir)[case]
    rc, err = mounter.run_failing(*args, cwd=workdir.path)
    assert rc > 0, f'exit status {rc}: {err}'
    assert err.strip(), 'no sentence on stderr'
    assert 'WARNING' not in err and 'CRITICAL' not in err, err


def test_failing_sentence_names_the_problem(workdir, mounter):
    missing = workdir.join('definitely-missing.bin')
    rc, err = mounter.run_failing('--map', f'x={missing}')
    assert rc > 0
    assert 'definitely-missing.bin' in err or 'No such file' in err, err


# -- help and version ----------------------------------------------------------

def test_help(workdir):
    r = subprocess.run([mmapfs_exe(), '-h'], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    text = r.stdout + r.stderr
    for word in ('--map', '--anon', 'map=', 'anon=', 'mapfile=', 'cache=', 'allow_hwpoison'):
        assert word in text, f'{word} missing from -h:\n{text}'


def project_version():
    root = os.environ.get('MMAPFS_BUILD_ROOT')
    if root:
        try:
            with open(os.path.join(root, 'meson-info', 'intro-projectinfo.json')) as f:
                return json.load(f)['version']
        except OSError:
            pass
    src = os.environ.get('MMAPFS_SOURCE_ROOT') or os.path.join(os.path.dirname(__file__),
                                                                '..', '..')
    with open(os.path.join(src, 'meson.build')) as f:
        return re.search(r"version:\s*'([^']+)'", f.read()).group(1)


def test_version():
    r = subprocess.run([mmapfs_exe(), '--version'], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert project_version() in r.stdout + r.stderr


# -- without -f ----------------------------------------------------------------

def daemons_for(mnt):
    """Pids of processes whose command line ends with MNT (ours only)."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if argv and argv[0] == os.fsencode(mmapfs_exe()) and os.fsencode(mnt) in argv:
            pids.append(int(entry))
    return pids


def test_background_daemon(workdir):
    path = workdir.lorem()
    mnt = workdir.mountpoint()
    env = dict(os.environ, G_DEBUG='fatal-warnings')
    r = subprocess.run([mmapfs_exe(), '--map', f'm={path}', mnt], capture_output=True,
                       timeout=60, env=env)
    pids = daemons_for(mnt)
    try:
        assert r.returncode == 0, r.stderr
        assert is_mounted(mnt)
        assert len(pids) == 1, pids
        assert read_bytes(os.path.join(mnt, 'm', 'data')) == file_bytes(path)
        with open(os.path.join(mnt, 'm', 'data'), 'r+b') as f:
            f.write(b'BG')
        assert unmount(mnt) == 0
        deadline = time.monotonic() + 30
        while daemons_for(mnt) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert daemons_for(mnt) == [], 'daemon still running after unmount'
        assert file_bytes(path)[:2] == b'BG'
    finally:
        if is_mounted(mnt):
            unmount(mnt)
        for pid in daemons_for(mnt):
            os.kill(pid, 9)
