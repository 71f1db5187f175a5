#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Entry point of the reliability suites for `meson test`.

Usage: runner.py TEST_FILE [PYTEST-ARGS...]. Exits 77 (meson's SKIP) when
FUSE cannot be used here, with the integration runner's rules; otherwise
runs pytest on the given file of this directory and passes its status
on, "no tests collected" counting as a failure.
"""

import importlib.util
import os
import sys

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
IT_RUNNER = os.path.join(os.path.dirname(HERE), 'integration', 'runner.py')


def main():
    spec = importlib.util.spec_from_file_location('it_runner', IT_RUNNER)
    it_runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(it_runner)
    problem = it_runner.fuse_problem()
    if problem:
        print(f'SKIP: {problem}', file=sys.stderr)
        return SKIP
    if len(sys.argv) < 2:
        print('usage: runner.py TEST_FILE [PYTEST-ARGS...]', file=sys.stderr)
        return 2
    sys.dont_write_bytecode = True
    import pytest
    target = os.path.join(HERE, sys.argv[1])
    rc = pytest.main(['-v', '-p', 'no:cacheprovider', '-rfEs', '--rootdir', HERE, target,
                      *sys.argv[2:]])
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        print('FAIL: pytest collected no tests', file=sys.stderr)
        return 1
    return int(rc)


if __name__ == '__main__':
    sys.exit(main())
