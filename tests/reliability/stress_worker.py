#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One client process of the concurrency stress test (test_stress.py).

Usage: stress_worker.py ROLE CONFIG.json. Each role owns something no
other process touches (a page-aligned range of the shared `data`
mapping, or whole mappings of its own) and keeps a model of it: a
bytearray of what must be there. After every step it reads back what it
owns and compares with the model, so a mismatch is caught at the step
that caused it. Every step is timed: a step slower than the configured
bound counts as a hang. At the end the worker writes its models and a
JSON report (operation counts, mismatches, errors, the slowest step)
where CONFIG says; the parent compares the backing files with the models.

Roles:
  data      pread/pwrite/mmap/fresh opens on its range of `data`
  resize    resizes a file-backed and an anonymous mapping, writes them
  move      memmove within its mapping, writes it
  advise    random advice (the kinds that keep the bytes), writes
  flush     msync of random ranges, sync/async/invalidate, writes
  lock      mlock/munlock, writes
  mapper    creates (anon, mkdir, map), renames and unmaps mappings
  meta      reads info, resident, size, advise, .control and the listing
"""

import errno
import json
import mmap
import os
import random
import re
import sys
import time

PAGE = os.sysconf('SC_PAGE_SIZE')
PATTERNS = ('normal', 'random', 'sequential')
# Advice that leaves the bytes of a shared file mapping as they are.
KEEPING_ADVICE = ('normal', 'random', 'sequential', 'willneed', 'dontneed', 'cold', 'pageout',
                  'populate_read', 'populate_write', 'dontfork', 'dofork')
INFO_KEYS = ('name', 'path', 'access', 'offset', 'length', 'file_size', 'page_size', 'advice',
             'locked', 'resident_pages', 'total_pages', 'reads', 'writes', 'bytes_read',
             'bytes_written', 'flushes', 'last_error')


class Dead(Exception):
    """The mount stopped answering (the daemon is gone): stop at once."""


def write_node(path, text):
    """One open/write/close of a small node; the errno, or 0."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return e.errno
    try:
        n = os.write(fd, text.encode())
        if n != len(text):
            return -1
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def read_all(path, offset=0, size=None):
    """SIZE bytes (or all) of PATH from OFFSET, through a fresh open."""
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        pos = offset
        while size is None or pos < offset + size:
            want = 1 << 20 if size is None else min(1 << 20, offset + size - pos)
            part = os.pread(fd, want, pos)
            if not part:
                break
            parts.append(part)
            pos += len(part)
        return b''.join(parts)
    finally:
        os.close(fd)


def read_text(path):
    return read_all(path).decode('utf-8', 'surrogateescape')


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


class Worker:
    def __init__(self, cfg):
        self.cfg = cfg
        self.mnt = cfg['mnt']
        self.rng = random.Random(cfg['seed'])
        self.bound = cfg['bound']
        self.deadline = time.monotonic() + cfg['duration']
        self.ops = {}
        self.mismatches = []
        self.mismatch_count = 0
        self.stale_windows = 0  # kernel-cache windows the daemon closed (see DataWorker.check)
        self.errors = []
        self.max_step = (0.0, '')
        self.slow = []
        self.models = {}      # file name under cfg['out'] -> bytearray

    def p(self, *parts):
        return os.path.join(self.mnt, *parts)

    def rand(self, n):
        return self.rng.randbytes(n)

    def check(self, what, got, want):
        if got == want:
            return True
        self.mismatch_count += 1
        if len(self.mismatches) < 20:
            if isinstance(got, (bytes, bytearray)) and isinstance(want, (bytes, bytearray)):
                i = first_difference(got, want)
                detail = (f'{len(got)} bytes, model {len(want)}, first difference at {i}: '
                          f'{bytes(got[i:i + 8]).hex()} vs model {bytes(want[i:i + 8]).hex()}')
            else:
                detail = f'{got!r} vs expected {want!r}'
            self.mismatches.append(f'{self.cfg["role"]}: {what}: {detail}')
        return False

    def expect_ok(self, what, err):
        if err in (errno.ENOTCONN, errno.ECONNABORTED):
            raise Dead(what)
        return self.check(what, errno.errorcode.get(err, err) if err else 'OK', 'OK')

    def run(self):
        steps = self.steps()
        weights = [getattr(s, 'weight', 1) for s in steps]
        try:
            while time.monotonic() < self.deadline:
                step = self.rng.choices(steps, weights)[0]
                t0 = time.monotonic()
                try:
                    step()
                except Dead:
                    raise
                except OSError as e:
                    if e.errno in (errno.ENOTCONN, errno.ECONNABORTED):
                        raise Dead(step.__name__) from e
                    self.errors.append(f'{self.cfg["role"]}: {step.__name__}: {e!r}')
                    if len(self.errors) > 20:
                        break
                dt = time.monotonic() - t0
                self.ops[step.__name__] = self.ops.get(step.__name__, 0) + 1
                if dt > self.max_step[0]:
                    self.max_step = (dt, step.__name__)
                if dt > self.bound:
                    self.slow.append(f'{step.__name__} took {dt:.1f}s')
        except Dead as e:
            self.errors.append(f'{self.cfg["role"]}: the mount died during {e}')
        self.finish()

    def finish(self):
        out = self.cfg['out']
        for name, model in self.models.items():
            with open(os.path.join(out, f'model-{name}.bin'), 'wb') as f:
                f.write(model)
        report = {
            'role': self.cfg['role'],
            'ops': self.ops,
            'mismatch_count': self.mismatch_count,
            'stale_windows': self.stale_windows,
            'mismatches': self.mismatches,
            'errors': self.errors,
            'max_step': self.max_step,
            'slow': self.slow[:20],
        }
        with open(os.path.join(out, f'report-{self.cfg["role"]}-{self.cfg["id"]}.json'),
                  'w') as f:
            json.dump(report, f)

    # Shared step: random bytes into a whole mapping NAME through data.
    def write_into(self, name):
        model = self.models[name]
        if not model:
            return
        off = self.rng.randrange(len(model))
        n = self.rng.randint(1, min(2 * PAGE, len(model) - off))
        buf = self.rand(n)
        fd = os.open(self.p(name, 'data'), os.O_WRONLY)
        try:
            self.check(f'pwrite {name} {off}+{n} count', os.pwrite(fd, buf, off), n)
        finally:
            os.close(fd)
        model[off:off + n] = buf
        self.check(f'{name} after pwrite {off}+{n}', read_all(self.p(name, 'data')), model)

    def pattern_of(self, name):
        text = read_text(self.p(name, 'advise'))
        m = re.search(r'\[(\w+)\]', text)
        return m.group(1) if m else None


class DataWorker(Worker):
    """Owns [base, base+span) of `data`; everything else is someone else's."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.base = cfg['base']
        self.span = cfg['span']
        self.path = self.p('data', 'data')
        self.models['data-%d' % cfg['id']] = bytearray(read_all(self.path, self.base,
                                                                self.span))
        self.model = self.models['data-%d' % cfg['id']]
        self.fd = os.open(self.path, os.O_RDWR)

    def steps(self):
        return [self.pwrite, self.pread, self.mmap_write, self.mmap_read, self.fresh,
                self.fsync]

    def check(self, what, got, want):
        noted = len(self.mismatches)
        if super().check(what, got, want):
            return True
        # Tell a stale kernel copy from wrong bytes in the daemon: a fresh
        # open drops the kernel's copy (cache=auto), so this read is served
        # by the daemon.
        daemon_ok = read_all(self.path, self.base, self.span) == self.model
        # cache=auto has one window the daemon can narrow but not close (README,
        # Cache modes): a buffered write whose page another process's open
        # dropped, refilled with the older bytes before the write arrived. The
        # daemon then drops the written range again from its invalidation
        # thread. If the daemon holds the right bytes and this descriptor sees
        # them a moment later, that is this window, counted apart; anything
        # else stays a mismatch.
        if daemon_ok:
            time.sleep(0.05)
            if os.pread(self.fd, self.span, self.base) == self.model:
                self.mismatch_count -= 1
                del self.mismatches[noted:]
                self.stale_windows += 1
                return False
        if len(self.mismatches) < 20:
            self.mismatches[-1] += (' (the daemon serves the model\'s bytes to a fresh open:'
                                    ' a stale kernel copy)' if daemon_ok else
                                    ' (a fresh open reads the same wrong bytes from the daemon)')
        return False

    def sub(self, limit=3 * PAGE):
        off = self.rng.randrange(self.span)
        return off, self.rng.randint(1, min(limit, self.span - off))

    def pwrite(self):
        off, n = self.sub()
        buf = self.rand(n)
        self.check(f'pwrite {off}+{n} count', os.pwrite(self.fd, buf, self.base + off), n)
        self.model[off:off + n] = buf
        self.check(f'pread after pwrite {off}+{n}', os.pread(self.fd, n, self.base + off), buf)
    pwrite.weight = 4

    def pread(self):
        off, n = self.sub(8 * PAGE)
        self.check(f'pread {off}+{n}', os.pread(self.fd, n, self.base + off),
                   self.model[off:off + n])
    pread.weight = 3

    def mmap_write(self):
        mm = mmap.mmap(self.fd, self.span, offset=self.base)
        try:
            off, n = self.sub()
            buf = self.rand(n)
            mm[off:off + n] = buf
            self.model[off:off + n] = buf
            self.check(f'mmap after write {off}+{n}', mm[:], self.model)
            mm.flush()
        finally:
            mm.close()
        self.check(f'pread after mmap write {off}+{n}', os.pread(self.fd, n, self.base + off),
                   buf)
    mmap_write.weight = 2

    def mmap_read(self):
        mm = mmap.mmap(self.fd, self.span, prot=mmap.PROT_READ, offset=self.base)
        try:
            self.check('mmap read of the range', mm[:], self.model)
        finally:
            mm.close()

    def fresh(self):
        # A fresh open drops the kernel's copy (cache=auto is close-to-open),
        # so this read reaches the daemon.
        self.check('fresh open read of the range', read_all(self.path, self.base, self.span),
                   self.model)
    fresh.weight = 2

    def fsync(self):
        os.fsync(self.fd)
        self.check('pread after fsync', os.pread(self.fd, self.span, self.base), self.model)
    fsync.weight = 0.5


class ResizeWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.backing = cfg['backing']       # name -> path, or None for anonymous
        for name in self.backing:
            self.models[name] = bytearray(read_all(self.p(name, 'data')))

    def steps(self):
        return [self.resize, self.write, self.refused]

    def resize(self):
        name = self.rng.choice(sorted(self.backing))
        model = self.models[name]
        if len(model) > 2 * PAGE and self.rng.random() < 0.3:
            # Partial advice splits the kernel's mapping; resize must still work.
            advice = self.rng.choice(('random', 'dontfork', 'willneed'))
            self.expect_ok(f'{name}: advise {advice} {PAGE} {PAGE}',
                           write_node(self.p(name, 'advise'), f'{advice} {PAGE} {PAGE}\n'))
        if self.rng.random() < 0.5:
            n = self.rng.randint(1, 24) * PAGE
        else:
            n = self.rng.randint(1, 24 * PAGE)
        if not self.expect_ok(f'resize {name} to {n}', write_node(self.p(name, 'size'),
                                                                  f'{n}\n')):
            return
        if n < len(model):
            del model[n:]
        else:
            model.extend(bytes(n - len(model)))
        self.check(f'{name}/size after resize to {n}', read_text(self.p(name, 'size')),
                   f'{n}\n')
        self.check(f'{name}/data st_size after resize to {n}',
                   os.stat(self.p(name, 'data')).st_size, n)
        self.check(f'{name}/data after resize to {n}', read_all(self.p(name, 'data')), model)
        path = self.backing[name]
        if path:
            with open(path, 'rb') as f:
                self.check(f'{name} backing file after resize to {n}', f.read(), model)
    resize.weight = 3

    def write(self):
        self.write_into(self.rng.choice(sorted(self.backing)))
    write.weight = 2

    def refused(self):
        name = self.rng.choice(sorted(self.backing))
        self.check(f'{name}: size 0', write_node(self.p(name, 'size'), '0\n'), errno.EINVAL)
        self.check(f'{name}/data after refused size 0', read_all(self.p(name, 'data')),
                   self.models[name])
    refused.weight = 0.5


class MoveWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.name = cfg['name']
        self.backing = cfg['backing_path']
        self.models[self.name] = bytearray(read_all(self.p(self.name, 'data')))

    def steps(self):
        return [self.move, self.write, self.refused]

    def move(self):
        model = self.models[self.name]
        count = self.rng.randint(0, len(model) // 2)
        src = self.rng.randint(0, len(model) - count)
        dest = self.rng.randint(0, len(model) - count)
        what = f'move {dest} {src} {count}'
        if not self.expect_ok(what, write_node(self.p(self.name, 'move'),
                                               f'{dest} {src} {count}\n')):
            return
        model[dest:dest + count] = model[src:src + count]
        self.check(f'data after {what}', read_all(self.p(self.name, 'data')), model)
        with open(self.backing, 'rb') as f:
            self.check(f'backing file after {what}', f.read(), model)
    move.weight = 3

    def write(self):
        self.write_into(self.name)

    def refused(self):
        n = len(self.models[self.name])
        self.check('move past the end', write_node(self.p(self.name, 'move'), f'1 0 {n}\n'),
                   errno.EINVAL)
        self.check('data after a refused move', read_all(self.p(self.name, 'data')),
                   self.models[self.name])
    refused.weight = 0.5


class AdviseWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.name = cfg['name']
        self.models[self.name] = bytearray(read_all(self.p(self.name, 'data')))
        self.pattern = self.pattern_of(self.name)

    def steps(self):
        return [self.advise, self.write]

    def advise(self):
        model = self.models[self.name]
        pages = len(model) // PAGE
        advice = self.rng.choice(KEEPING_ADVICE)
        words = [advice if self.rng.random() < 0.5 else 'MADV_' + advice.upper()]
        if self.rng.random() < 0.7:
            words.append(str(self.rng.randrange(pages) * PAGE))
            if self.rng.random() < 0.7:
                words.append(str(self.rng.randint(1, len(model))))
        line = ' '.join(words)
        if not self.expect_ok(f'advise {line}', write_node(self.p(self.name, 'advise'),
                                                           line + '\n')):
            return
        if advice in PATTERNS:
            self.pattern = advice
        self.check(f'pattern after advise {line}', self.pattern_of(self.name), self.pattern)
        self.check(f'data after advise {line}', read_all(self.p(self.name, 'data')), model)
    advise.weight = 3

    def write(self):
        self.write_into(self.name)


class FlushWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.name = cfg['name']
        self.backing = cfg['backing_path']
        self.models[self.name] = bytearray(read_all(self.p(self.name, 'data')))

    def steps(self):
        return [self.flush, self.write]

    def flush(self):
        model = self.models[self.name]
        pages = len(model) // PAGE
        kind = self.rng.choice(('', '', 'async', 'invalidate'))
        form = self.rng.randrange(3)
        if form == 0:
            line = '' if not kind else f'0 {len(model)} {kind}'
        else:
            off = self.rng.randrange(pages) * PAGE
            if form == 1 and not kind:
                line = f'{off}'
            else:
                line = f'{off} {self.rng.randint(0, len(model) - off)} {kind}'.rstrip()
        if not self.expect_ok(f'flush {line!r}', write_node(self.p(self.name, 'flush'),
                                                            line + '\n')):
            return
        with open(self.backing, 'rb') as f:
            self.check(f'backing file after flush {line!r}', f.read(), model)
    flush.weight = 2

    def write(self):
        self.write_into(self.name)


class LockWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.name = cfg['name']
        self.models[self.name] = bytearray(read_all(self.p(self.name, 'data')))

    def steps(self):
        return [self.lock, self.write]

    def lock(self):
        lock = self.p(self.name, 'lock')
        if not self.expect_ok('lock 1', write_node(lock, '1\n')):
            return
        self.check('lock state after 1', read_text(lock), '1\n')
        self.write_into(self.name)
        if not self.expect_ok('lock 0', write_node(lock, '0\n')):
            return
        self.check('lock state after 0', read_text(lock), '0\n')
    lock.weight = 2

    def write(self):
        self.write_into(self.name)


class MapperWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.scratch = cfg['scratch']
        self.count = 0

    def steps(self):
        return [self.cycle]

    def control(self, text):
        try:
            fd = os.open(self.p('.control'), os.O_WRONLY)
        except OSError as e:
            return e.errno
        try:
            os.write(fd, text.encode())
            return 0
        except OSError as e:
            return e.errno
        finally:
            os.close(fd)

    def cycle(self):
        self.count += 1
        name = f'm{self.cfg["id"]}-{self.count}'
        kind = self.rng.choice(('anon', 'mkdir', 'map'))
        path = None
        if kind == 'anon':
            n = self.rng.randint(1, 8 * PAGE)
            if not self.expect_ok(f'anon {name}', self.control(f'anon {name} {n}\n')):
                return
            model = bytearray(n)
        elif kind == 'mkdir':
            os.mkdir(self.p(name))
            model = bytearray(PAGE)
        else:
            path = os.path.join(self.scratch, name)
            model = bytearray(self.rand(self.rng.randint(1, 8 * PAGE)))
            with open(path, 'wb') as f:
                f.write(model)
            if not self.expect_ok(f'map {name}', self.control(f'map {name} {path}\n')):
                return
        self.check(f'{name} listed', name in os.listdir(self.mnt), True)
        self.check(f'{name}/data after {kind}', read_all(self.p(name, 'data')), model)
        self.models[name] = model
        self.write_into(name)
        del self.models[name]
        new = name + 'r'
        os.rename(self.p(name), self.p(new))
        listing = os.listdir(self.mnt)
        self.check(f'{name} renamed', (name in listing, new in listing), (False, True))
        info = read_text(self.p(new, 'info'))
        self.check(f'{new}/info name', f'name: {new}\n' in info, True)
        self.check(f'{new}/data after rename', read_all(self.p(new, 'data')), model)
        if self.rng.random() < 0.5:
            os.rmdir(self.p(new))
        else:
            self.expect_ok(f'unmap {new}', self.control(f'unmap {new}\n'))
        self.check(f'{new} gone', new in os.listdir(self.mnt), False)
        if path:
            # Unmapping flushed it; the file is what the model says.
            with open(path, 'rb') as f:
                self.check(f'{name} backing file after unmap', f.read(), model)
            os.unlink(path)


class MetaWorker(Worker):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.names = cfg['names']

    def steps(self):
        return [self.info, self.resident, self.size, self.menu, self.listing]

    def info(self):
        name = self.rng.choice(self.names)
        text = read_text(self.p(name, 'info'))
        pairs = dict(line.split(': ', 1) for line in text.splitlines())
        self.check(f'{name}/info keys', [k for k in INFO_KEYS if k not in pairs], [])
        self.check(f'{name}/info name', pairs.get('name'), name)
        # One read is one snapshot: length and total_pages agree.
        length, total = int(pairs['length']), int(pairs['total_pages'])
        self.check(f'{name}/info total_pages vs length', total, (length + PAGE - 1) // PAGE)

    def resident(self):
        name = self.rng.choice(self.names)
        lines = read_text(self.p(name, 'resident')).splitlines()
        m = re.fullmatch(r'(\d+)/(\d+) pages resident', lines[0])
        if not self.check(f'{name}/resident first line', bool(m), True):
            return
        res, total = int(m.group(1)), int(m.group(2))
        count = 0
        for line in lines[1:]:
            a, b = (int(x) for x in line.split('-'))
            self.check(f'{name}/resident run {line} within {total}', a <= b < total, True)
            count += b - a + 1
        self.check(f'{name}/resident runs add up', count, res)

    def size(self):
        name = self.rng.choice(self.names)
        text = read_text(self.p(name, 'size'))
        self.check(f'{name}/size format', bool(re.fullmatch(r'[1-9][0-9]*\n', text)), True)

    def menu(self):
        name = self.rng.choice(self.names)
        text = read_text(self.p(name, 'advise'))
        self.check(f'{name}/advise menu', bool(re.search(r'\[(normal|random|sequential)\]',
                                                        text)), True)

    def listing(self):
        listing = set(os.listdir(self.mnt))
        self.check('fixed mappings listed', set(self.names) - listing, set())
        lines = read_text(self.p('.control')).splitlines()
        self.check('.control lines', [x for x in lines if not x.startswith(('map ', 'anon '))],
                   [])


ROLES = {'data': DataWorker, 'resize': ResizeWorker, 'move': MoveWorker,
         'advise': AdviseWorker, 'flush': FlushWorker, 'lock': LockWorker,
         'mapper': MapperWorker, 'meta': MetaWorker}


def main():
    with open(sys.argv[2]) as f:
        cfg = json.load(f)
    cfg['role'] = sys.argv[1]
    ROLES[cfg['role']](cfg).run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
