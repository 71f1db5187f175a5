#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Entry point of every pytest suite for `meson test`.

Usage: runner.py [--fuse] --suite NAME DIR [TEST_FILE...] [PYTEST-ARGS...]

Runs pytest on the named test files of DIR (all of DIR when none is
named). Whatever follows that is not a test file of DIR goes to pytest
unchanged, so `meson test SUITE --test-args '-k EXPR'` runs one test
alone; when those arguments name a test file or node themselves
(`--test-args tests/tools/test_vm.py::test_touch`), the default files are
left out.

With --fuse, exits 77 (meson's SKIP) and says why when FUSE cannot be used
here: no /dev/fuse, a /dev/fuse that cannot be opened and no set-uid
fusermount3 to open it for us, or no fusermount3 at all.

"No tests collected" is a failure: a suite that silently tests nothing
must not look green. With MMAPFS_BUILD_ROOT set, pytest also writes
meson-logs/pytest-NAME.xml there, from which contrib/test.sh counts and
names every test that was skipped inside a suite. Every suite may import
tests/places.py, which says where tests put things.
"""

import errno
import os
import shutil
import stat
import sys

SKIP = 77


def fuse_problem():
    """Why FUSE cannot be mounted here, or None."""
    if not os.path.exists('/dev/fuse'):
        return '/dev/fuse does not exist'
    fusermount = shutil.which('fusermount3')
    if fusermount is None:
        return 'fusermount3 is not installed'
    try:
        os.close(os.open('/dev/fuse', os.O_RDWR))
        return None
    except OSError as e:
        if os.stat(fusermount).st_mode & stat.S_ISUID and e.errno == errno.EACCES:
            return None
        return f'/dev/fuse cannot be opened: {e.strerror}'


def as_test(arg, here):
    """ARG as a test file or node id pytest can find, or None if it is not one.

    A path may be given as it stands from the current directory, from the
    suite's directory or from the top of the source tree
    (`tests/tools/test_vm.py::test_touch_and_evict_file`).
    """
    if arg.startswith('-'):
        return None
    path, sep, node = arg.partition('::')
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for base in (os.getcwd(), here, top):
        candidate = os.path.join(base, path)
        if path and os.path.exists(candidate):
            return os.path.abspath(candidate) + sep + node
    return None


def main():
    argv = sys.argv[1:]
    fuse = argv[:1] == ['--fuse']
    if fuse:
        argv.pop(0)
    if len(argv) < 3 or argv[0] != '--suite':
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    suite, here, rest = argv[1], os.path.abspath(argv[2]), argv[3:]
    files = []
    while rest and not rest[0].startswith('-') and os.path.isfile(os.path.join(here, rest[0])):
        files.append(os.path.join(here, rest.pop(0)))
    if fuse:
        problem = fuse_problem()
        if problem:
            print(f'SKIP: {problem}', file=sys.stderr)
            return SKIP
    # Keep the source tree free of __pycache__ and pytest's cache: it may be
    # read-only, and is never the place for build products.
    sys.dont_write_bytecode = True
    # places.py (where tests may put things) is shared by every suite.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pytest
    args = ['-v', '-p', 'no:cacheprovider', '-rfEs', '--rootdir', here]
    build_root = os.environ.get('MMAPFS_BUILD_ROOT')
    if build_root:
        args.append(f'--junitxml={os.path.join(build_root, "meson-logs", f"pytest-{suite}.xml")}')
    tests = [as_test(a, here) for a in rest]
    if any(tests):
        rest = [t or a for t, a in zip(tests, rest)]
    else:
        args += files or [here]
    rc = pytest.main(args + rest)
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        print('FAIL: pytest collected no tests', file=sys.stderr)
        return 1
    return int(rc)


if __name__ == '__main__':
    sys.exit(main())
