#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Entry point of the integration suite for `meson test`.

Exits 77 (meson's SKIP) when FUSE cannot be used here: no /dev/fuse, a
/dev/fuse that cannot be opened and no set-uid fusermount3 to open it for
us, or no fusermount3 at all. Otherwise runs pytest on this directory and
passes its status on, except that "no tests collected" is a failure: a
suite that silently tests nothing must not look green.
"""

import errno
import os
import shutil
import stat
import sys

SKIP = 77


def fuse_problem():
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


def main():
    problem = fuse_problem()
    if problem:
        print(f'SKIP: {problem}', file=sys.stderr)
        return SKIP
    # Keep the source tree free of __pycache__ and pytest's cache.
    sys.dont_write_bytecode = True
    import pytest
    here = os.path.dirname(os.path.abspath(__file__))
    args = ['-v', '-p', 'no:cacheprovider', '-rfEs', '--rootdir', here]
    # Extra arguments (e.g. -k EXPR, or test files) are passed on; without
    # any file or directory among them the whole suite runs.
    extra = sys.argv[1:]
    if not any(os.path.exists(a.split('::')[0]) for a in extra):
        extra.append(here)
    args += extra
    rc = pytest.main(args)
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        print('FAIL: pytest collected no tests', file=sys.stderr)
        return 1
    return int(rc)


if __name__ == '__main__':
    sys.exit(main())
