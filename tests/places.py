# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where the tests put things, wherever the tree and $TMPDIR are.

The checkout may live under /root (0700), in a path with blanks, be built
with umask 077, and $TMPDIR may be unset or on a tmpfs. Two needs follow:

- what uid 65534 must reach (mounts, files it reads, a copy of the daemon)
  goes below a directory every ancestor of which lets others search it;
- a backing file whose page-cache state a test checks (eviction, residency
  after pageout) must be on a filesystem whose pages can be evicted: a
  tmpfs or ramfs keeps every page resident, whatever the advice.

runner.py puts this directory on sys.path, so every suite imports it.
"""

import os
import stat
import tempfile

# Filesystems whose pages are memory itself: nothing can evict them.
MEMORY_FS = {'tmpfs', 'ramfs', 'hugetlbfs'}


def others_reach(path, want=os.X_OK):
    """True when a user who is neither owner nor in the group can reach PATH.

    Every directory above PATH must let others search it (o+x), and PATH
    itself must grant WANT to others (o+x for a program or a directory,
    o+r for a file to read).
    """
    path = os.path.abspath(path)
    mode = os.stat(path).st_mode
    if want & os.X_OK and not mode & stat.S_IXOTH:
        return False
    if want & os.R_OK and not mode & stat.S_IROTH:
        return False
    parent = os.path.dirname(path)
    while True:
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
        if parent == '/':
            return True
        parent = os.path.dirname(parent)


def fs_type(path):
    """The type of the filesystem PATH is on ('ext4', 'tmpfs', ...)."""
    path = os.path.realpath(path)
    best, kind = '', None
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode('unicode_escape')
            sep = fields.index('-')
            inside = path == point or path.startswith(point.rstrip('/') + '/')
            if inside and len(point) >= len(best):
                best, kind = point, fields[sep + 1]
    return kind


def _candidates():
    seen = []
    for base in (tempfile.gettempdir(), '/tmp', '/var/tmp', '/dev/shm'):
        if base not in seen and os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK):
            seen.append(base)
    return seen


def shared_tmp():
    """A base for temporary dirs that others can reach, or None.

    $TMPDIR (or /tmp) when others can reach it; otherwise the first of /tmp,
    /var/tmp and /dev/shm that they can. Among those, one whose pages can
    be evicted is preferred, so that the page-cache checks hold there too.
    """
    reachable = [b for b in _candidates() if others_reach(b)]
    for base in reachable:
        if fs_type(base) not in MEMORY_FS:
            return base
    return reachable[0] if reachable else None


def page_cache_tmp():
    """A base for files whose pages must be evictable, or None.

    $TMPDIR (or /tmp) unless it is a memory filesystem, else /var/tmp or
    /tmp if either is not.
    """
    for base in _candidates():
        if fs_type(base) not in MEMORY_FS:
            return base
    return None


def why_no_page_cache():
    """The sentence a test skips with when page_cache_tmp() is None."""
    return (f'no temporary directory off a memory filesystem: {tempfile.gettempdir()}, /tmp '
            'and /var/tmp keep every page resident, so eviction cannot be observed')
