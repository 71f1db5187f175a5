# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures of the reliability suites: the integration suite's own.

`workdir` (a temporary dir for backing files and mountpoints) and
`mounter` (starts `mmapfs -f`, always unmounts and kills, and fails the
test on daemon warnings or sanitizer reports) come from
tests/integration/conftest.py through rel.py. The figures the tests
report are printed again in pytest's terminal summary, so that they can
be read at the end of meson's test log.
"""

from rel import FIGURES, it

workdir = it.workdir
mounter = it.mounter
no_mount_left_behind = it.no_mount_left_behind


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section('reliability figures')
        for line in FIGURES:
            terminalreporter.write_line(line)
