# SPDX-License-Identifier: LGPL-2.1-or-later
"""The mounted tree (DESIGN §2, §2.1): listing, modes, sizes, names, the
fixed shape of the tree, and the directory operations mkdir, rmdir and mv.
"""

import errno
import os
import stat
import subprocess

import pytest

from helpers import (NODES, PAGE, control, errname, info, read_bytes, read_node, snapshot,
                     write_node)

MAPPINGS = {'lorem', 'ro', 'cp', 'pages', 'an'}


def test_root_listing(std):
    assert set(os.listdir(std.mnt)) == MAPPINGS | {'.control'}


def test_mapping_listing(std):
    for name in MAPPINGS:
        assert sorted(os.listdir(std.p(name))) == sorted(NODES), name


def test_ls_shows_tree(std):
    r = subprocess.run(['ls', '-la', std.mnt], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for name in MAPPINGS | {'.control'}:
        assert name in r.stdout
    r = subprocess.run(['ls', '-l', std.p('lorem')], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert set(line.split()[-1] for line in r.stdout.splitlines()[1:]) == set(NODES)


def test_root_and_dirs_are_directories(std):
    assert stat.S_ISDIR(os.stat(std.mnt).st_mode)
    for name in MAPPINGS:
        assert stat.S_ISDIR(os.stat(std.p(name)).st_mode)


def test_owner_is_mounting_user(std):
    for path in [std.mnt, std.p('.control'), std.p('lorem'), std.p('lorem', 'data'),
                 std.p('lorem', 'flush')]:
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid()), path


def mode(path):
    st = os.stat(path)
    assert stat.S_ISREG(st.st_mode), path
    return stat.S_IMODE(st.st_mode)


def test_control_mode(std):
    assert mode(std.p('.control')) == 0o600


def test_node_modes_write_mapping(std):
    for name in ('lorem', 'cp', 'pages', 'an'):
        # data of a writable mapping: owner may write, nobody else may.
        m = mode(std.p(name, 'data'))
        assert m & 0o600 == 0o600 and m & 0o022 == 0, (name, oct(m))
        for node in ('size', 'advise', 'lock'):
            m = mode(std.p(name, node))
            assert m & 0o600 == 0o600 and m & 0o022 == 0, (name, node, oct(m))
        assert mode(std.p(name, 'flush')) == 0o200
        assert mode(std.p(name, 'move')) == 0o200
        for node in ('info', 'resident'):
            m = mode(std.p(name, node))
            assert m & 0o400 and m & 0o222 == 0, (name, node, oct(m))


def test_data_mode_read_mapping(std):
    assert mode(std.p('ro', 'data')) == 0o444


def test_st_size(std):
    assert os.stat(std.p('lorem', 'data')).st_size == len(std.lorem)
    assert os.stat(std.p('pages', 'data')).st_size == 16 * PAGE
    assert os.stat(std.p('an', 'data')).st_size == 16384
    assert os.stat(std.p('.control')).st_size == 0
    for node in NODES:
        if node != 'data':
            assert os.stat(std.p('lorem', node)).st_size == 0, node


def test_st_size_of_length_limited_mapping(workdir, mounter):
    path = workdir.lorem()
    d = mounter.start('--map', f'part={path},offset={PAGE},length=5000')
    assert os.stat(d.path('part', 'data')).st_size == 5000
    assert read_bytes(d.path('part', 'data')) == open(path, 'rb').read()[PAGE:PAGE + 5000]


def test_lookup_unknown(std):
    for path in (std.p('nope'), std.p('lorem', 'nope'), std.p('lorem', 'data', 'x')):
        with pytest.raises(OSError) as e:
            os.stat(path)
        assert e.value.errno in (errno.ENOENT, errno.ENOTDIR), path
    with pytest.raises(FileNotFoundError):
        os.stat(std.p('nope'))


# -- names ------------------------------------------------------------------

GOOD_NAMES = ['a', 'A-Z_0.9', 'x' * 255, 'data', 'a..b', '-', '_x']
BAD_NAMES = [('x' * 256, errno.ENAMETOOLONG), ('.hidden', errno.EINVAL),
             ('a b', errno.EINVAL), ('a:b', errno.EINVAL), ('caf\u00e9', errno.EINVAL),
             ('tab\there', errno.EINVAL), ('a\\b', errno.EINVAL), ('a*', errno.EINVAL)]


@pytest.mark.parametrize('name', GOOD_NAMES, ids=lambda n: n[:12])
def test_mkdir_good_name(std, name):
    os.mkdir(std.p(name))
    assert name in os.listdir(std.mnt)
    assert info(std.mnt, name)['name'] == name


@pytest.mark.parametrize('name,err', BAD_NAMES, ids=lambda v: str(v)[:12])
def test_mkdir_bad_name(std, name, err):
    before = sorted(os.listdir(std.mnt))
    with pytest.raises(OSError) as e:
        os.mkdir(std.p(name))
    assert e.value.errno == err, errname(e.value.errno)
    assert sorted(os.listdir(std.mnt)) == before


@pytest.mark.parametrize('name,err', BAD_NAMES, ids=lambda v: str(v)[:12])
def test_control_bad_name(std, name, err):
    before = sorted(os.listdir(std.mnt))
    # A blank splits the word: "anon a b 4096" has a word too many (EINVAL).
    got = control(std.mnt, f'anon {name} 4096\n')
    assert got == err, errname(got)
    assert sorted(os.listdir(std.mnt)) == before


@pytest.mark.parametrize('name,err', BAD_NAMES, ids=lambda v: str(v)[:12])
def test_rename_to_bad_name(std, name, err):
    before = snapshot(std.mnt, 'an')
    with pytest.raises(OSError) as e:
        os.rename(std.p('an'), std.p(name))
    assert e.value.errno == err, errname(e.value.errno)
    assert snapshot(std.mnt, 'an') == before


def test_control_name_255_ok(std):
    name = 'n' * 255
    assert control(std.mnt, f'anon {name} 4096\n') == 0
    assert name in os.listdir(std.mnt)


# -- the tree is fixed: EPERM ----------------------------------------------

def expect_errno(err, func, *args):
    with pytest.raises(OSError) as e:
        func(*args)
    assert e.value.errno == err, f'{func.__name__}{args}: {errname(e.value.errno)}'


def test_create_file_eperm(std):
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    expect_errno(errno.EPERM, os.open, std.p('newfile'), flags)
    expect_errno(errno.EPERM, os.open, std.p('lorem', 'newfile'), flags)
    r = subprocess.run(['sh', '-c', f'echo x > {std.p("lorem", "extra")}'],
                       capture_output=True, timeout=60)
    assert r.returncode != 0
    assert sorted(os.listdir(std.p('lorem'))) == sorted(NODES)
    assert set(os.listdir(std.mnt)) == MAPPINGS | {'.control'}


def test_mknod_eperm(std):
    expect_errno(errno.EPERM, os.mkfifo, std.p('fifo'))
    expect_errno(errno.EPERM, os.mkfifo, std.p('lorem', 'fifo'))


def test_symlink_eperm(std):
    expect_errno(errno.EPERM, os.symlink, '/etc/passwd', std.p('link'))
    expect_errno(errno.EPERM, os.symlink, 'data', std.p('lorem', 'link'))


def test_hardlink_eperm(std):
    expect_errno(errno.EPERM, os.link, std.p('lorem', 'data'), std.p('lorem', 'data2'))
    expect_errno(errno.EPERM, os.link, std.p('lorem', 'data'), std.p('data2'))
    expect_errno(errno.EPERM, os.link, std.p('.control'), std.p('control2'))


def test_unlink_node_eperm(std):
    for node in NODES:
        expect_errno(errno.EPERM, os.unlink, std.p('lorem', node))
    expect_errno(errno.EPERM, os.unlink, std.p('.control'))
    assert sorted(os.listdir(std.p('lorem'))) == sorted(NODES)
    assert read_bytes(std.p('lorem', 'data')) == std.lorem


def test_rm_command_fails(std):
    r = subprocess.run(['rm', '-f', std.p('lorem', 'size')], capture_output=True, timeout=60)
    assert r.returncode != 0
    assert 'size' in os.listdir(std.p('lorem'))


def test_mkdir_inside_mapping_eperm(std):
    expect_errno(errno.EPERM, os.mkdir, std.p('lorem', 'sub'))
    assert sorted(os.listdir(std.p('lorem'))) == sorted(NODES)


def test_rename_node_eperm(std):
    expect_errno(errno.EPERM, os.rename, std.p('lorem', 'size'), std.p('lorem', 'size2'))
    expect_errno(errno.EPERM, os.rename, std.p('lorem', 'size'), std.p('sizefile'))
    expect_errno(errno.EPERM, os.rename, std.p('.control'), std.p('ctl'))
    assert sorted(os.listdir(std.p('lorem'))) == sorted(NODES)


def test_rename_mapping_into_mapping_eexist(std):
    # GNU `mv an lorem` asks for rename(an, lorem/an): the user meant to put
    # `an` where the mapping `lorem` is, and the contract's answer to that is
    # EEXIST with nothing replaced.
    expect_errno(errno.EEXIST, os.rename, std.p('an'), std.p('lorem', 'an'))
    assert 'an' in os.listdir(std.mnt) and 'lorem' in os.listdir(std.mnt)
    r = subprocess.run(['mv', std.p('an'), std.p('lorem')], capture_output=True)
    assert r.returncode != 0
    assert sorted(os.listdir(std.p('lorem'))) == sorted(NODES)
    assert 'an' in os.listdir(std.mnt)


# -- mkdir, rmdir, mv --------------------------------------------------------

def test_mkdir_makes_one_page_anon(std):
    os.mkdir(std.p('fresh'))
    assert sorted(os.listdir(std.p('fresh'))) == sorted(NODES)
    assert read_node(std.p('fresh', 'size')) == f'{PAGE}\n'
    assert os.stat(std.p('fresh', 'data')).st_size == PAGE
    assert read_bytes(std.p('fresh', 'data')) == bytes(PAGE)
    inf = info(std.mnt, 'fresh')
    assert inf['path'] == 'anonymous'
    assert inf['file_size'] == 'none'
    assert inf['length'] == str(PAGE)
    assert write_node(std.p('fresh', 'data'), b'hello') == 0
    assert read_bytes(std.p('fresh', 'data'))[:5] == b'hello'


def test_mkdir_shell(std):
    r = subprocess.run(['mkdir', std.p('viash')], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert 'viash' in os.listdir(std.mnt)


def test_mkdir_existing_eexist(std):
    before = snapshot(std.mnt, 'lorem', std.lorem_path)
    expect_errno(errno.EEXIST, os.mkdir, std.p('lorem'))
    assert snapshot(std.mnt, 'lorem', std.lorem_path) == before


def test_rmdir_unmaps(std):
    assert write_node(std.p('lorem', 'data'), b'RMDIR') == 0
    os.rmdir(std.p('lorem'))
    assert 'lorem' not in os.listdir(std.mnt)
    expect_errno(errno.ENOENT, os.stat, std.p('lorem'))
    with open(std.lorem_path, 'rb') as f:
        assert f.read() == b'RMDIR' + std.lorem[5:]
    # Nodes inside did not make the directory "not empty"; the others stay.
    assert set(os.listdir(std.mnt)) == (MAPPINGS - {'lorem'}) | {'.control'}
    assert 'lorem' not in read_node(std.p('.control')).split()


def test_rmdir_shell_and_anon(std):
    r = subprocess.run(['rmdir', std.p('an')], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert 'an' not in os.listdir(std.mnt)


def test_rmdir_unknown_enoent(std):
    expect_errno(errno.ENOENT, os.rmdir, std.p('ghost'))


def test_rename_mapping(std):
    content = read_bytes(std.p('pages', 'data'))
    os.rename(std.p('pages'), std.p('renamed'))
    names = set(os.listdir(std.mnt))
    assert 'renamed' in names and 'pages' not in names
    assert read_bytes(std.p('renamed', 'data')) == content
    inf = info(std.mnt, 'renamed')
    assert inf['name'] == 'renamed'
    assert inf['path'] == std.pages_path
    listing = read_node(std.p('.control')).splitlines()
    assert any(line.split()[1] == 'renamed' for line in listing)
    assert not any(line.split()[1] == 'pages' for line in listing)


def test_mv_command(std):
    r = subprocess.run(['mv', '-T', std.p('an'), std.p('an2')], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert 'an2' in os.listdir(std.mnt) and 'an' not in os.listdir(std.mnt)


def test_rename_onto_existing_eexist(std):
    before_l = snapshot(std.mnt, 'lorem', std.lorem_path)
    before_p = snapshot(std.mnt, 'pages', std.pages_path)
    expect_errno(errno.EEXIST, os.rename, std.p('pages'), std.p('lorem'))
    assert snapshot(std.mnt, 'lorem', std.lorem_path) == before_l
    assert snapshot(std.mnt, 'pages', std.pages_path) == before_p
    r = subprocess.run(['mv', '-T', std.p('an'), std.p('cp')], capture_output=True,
                       timeout=60)
    assert r.returncode != 0
    assert {'an', 'cp'} <= set(os.listdir(std.mnt))
    assert info(std.mnt, 'cp')['access'] == 'copy'


def test_rename_unknown_enoent(std):
    expect_errno(errno.ENOENT, os.rename, std.p('ghost'), std.p('ghost2'))


def test_rename_keeps_open_file_working(std):
    fd = os.open(std.p('an', 'data'), os.O_RDWR)
    try:
        os.rename(std.p('an'), std.p('an2'))
        assert os.pwrite(fd, b'still here', 0) == 10
        assert read_bytes(std.p('an2', 'data'))[:10] == b'still here'
    finally:
        os.close(fd)


def test_unmap_while_open(std):
    fd = os.open(std.p('lorem', 'data'), os.O_RDWR)
    ifd = os.open(std.p('lorem', 'size'), os.O_RDONLY)
    try:
        assert control(std.mnt, 'unmap lorem\n') == 0
        # The directory is gone at once ...
        assert 'lorem' not in os.listdir(std.mnt)
        expect_errno(errno.ENOENT, os.stat, std.p('lorem'))
        # ... so the name can be used again, for something else ...
        assert control(std.mnt, 'anon lorem 4096\n') == 0
        assert read_bytes(std.p('lorem', 'data')) == bytes(4096)
        # ... while the open descriptors keep working on the old mapping.
        assert os.pread(fd, 100, 0) == std.lorem[:100]
        assert os.pwrite(fd, b'AFTER-UNMAP', 1000) == 11
        assert os.pread(fd, 11, 1000) == b'AFTER-UNMAP'
        assert os.read(ifd, 100) == f'{len(std.lorem)}\n'.encode()
    finally:
        os.close(fd)
        os.close(ifd)
    # The last close flushed and unmapped it: the bytes are in the file.
    with open(std.lorem_path, 'rb') as f:
        content = f.read()
    assert content[1000:1011] == b'AFTER-UNMAP'
    assert len(content) == len(std.lorem)
    assert read_bytes(std.p('lorem', 'data')) == bytes(4096)


def test_rmdir_while_open(std):
    fd = os.open(std.p('an', 'data'), os.O_RDWR)
    try:
        os.pwrite(fd, b'anon bytes', 0)
        os.rmdir(std.p('an'))
        assert 'an' not in os.listdir(std.mnt)
        assert os.pread(fd, 10, 0) == b'anon bytes'
    finally:
        os.close(fd)
