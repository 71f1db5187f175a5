# SPDX-License-Identifier: LGPL-2.1-or-later
"""Differential test of libmmapfs against Python's own mmap module.

libmmapfs promises the surface and the edge-case semantics of Python's
mmap object (DESIGN §4). This harness checks that promise the direct way:
for each seed it generates a random operation script over file-backed
regions (every access mode, nonzero page-aligned offsets, explicit
lengths, files whose sizes are and are not page multiples) and anonymous
ones, runs every operation through Python's mmap on one copy of the files
while it generates, then runs the same script through diff-driver (the C
program beside this file) on a second copy, and compares every result,
every position afterwards, the class of every error, the bytes of every
region and, at the end, the bytes of every file.

Errors are compared by class: each Python exception is turned into the
errno libmmapfs must report for it (see expected_errno()). Where
libmmapfs deliberately differs, or Debian's Python 3.11.2 is itself
broken, the Python side adapts in one documented place each:
- resize(0): Python truncates the file and then fails; libmmapfs fails
  before touching it, so the call is not made and EINVAL is expected;
- resize after advice on part of a mapping: Python's mremap() fails with
  EFAULT, libmmapfs must succeed (Case.resize());
- anonymous regions: Python dies of SIGBUS after growing one, so its twin
  maps a scratch file (Case.anonymous());
- find: Python can read past the mapping and crash, so it searches a copy
  of the bytes, checked against the real method where that is safe
  (Case.find()).

Environment: MMAPFS_DIFF_DRIVER (path of diff-driver; without it every
test is skipped), MMAPFS_DIFF_SEED (run that one seed), MMAPFS_DIFF_CASES
(how many seeds, default 20), MMAPFS_DIFF_OPS (operations per seed,
default 600). Run as a script, it exits 77 when the driver is missing, as
meson expects of a skipped test.
"""

import errno
import mmap
import os
import random
import subprocess
import sys

import pytest

PAGE = mmap.PAGESIZE
HUGE = 2**63 - 1  # INT64_MIN is MMAPFS_UNSET in C, so stay one above it
DRIVER = os.environ.get("MMAPFS_DIFF_DRIVER", "")
OPS = int(os.environ.get("MMAPFS_DIFF_OPS", "600"))
if os.environ.get("MMAPFS_DIFF_SEED"):
    SEEDS = [int(os.environ["MMAPFS_DIFF_SEED"])]
else:
    SEEDS = list(range(1, int(os.environ.get("MMAPFS_DIFF_CASES", "20")) + 1))

ACCESS = {
    "read": mmap.ACCESS_READ,
    "write": mmap.ACCESS_WRITE,
    "copy": mmap.ACCESS_COPY,
    "default": mmap.ACCESS_DEFAULT,
}
ADVICE = {
    "normal": mmap.MADV_NORMAL,
    "random": mmap.MADV_RANDOM,
    "sequential": mmap.MADV_SEQUENTIAL,
    "willneed": mmap.MADV_WILLNEED,
    "dontneed": mmap.MADV_DONTNEED,
}
FILE_SIZES = [1, 100, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE + 123, 3 * PAGE, 5 * PAGE + 7]
MUTATING = {"write", "write_byte", "setitem", "setslice", "move"}


def expected_errno(op, exc):
    """The errno name libmmapfs must report where Python raised exc."""
    text = str(exc)
    if isinstance(exc, TypeError):
        if op == "resize" and "resize" in text:
            return "EPERM"  # read and copy mappings cannot resize
        if op in MUTATING and "readonly" in text:
            return "EACCES"  # writing to a read mapping
    elif isinstance(exc, IndexError):
        return "EINVAL"
    elif isinstance(exc, OverflowError):
        return "EOVERFLOW"
    elif isinstance(exc, ValueError):
        return "EBADF" if "closed" in text else "EINVAL"
    elif isinstance(exc, OSError) and exc.errno in errno.errorcode:
        return errno.errorcode[exc.errno]
    raise AssertionError(f"harness bug: {op} raised {exc!r}")


def encode(arg):
    """One script word: bytes as x:HEX, integers in decimal."""
    if isinstance(arg, bytes):
        return "x:" + arg.hex()
    return str(arg)


def show(value):
    """A Python result in the driver's notation."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return "b:" + value.hex()
    return str(value)


class Case:
    """One seed: generates the script while running it through Python."""

    def __init__(self, seed, workdir):
        self.rng = random.Random(seed)
        self.lib_dir = os.path.join(workdir, "lib")
        self.py_dir = os.path.join(workdir, "py")
        self.scratch_dir = os.path.join(workdir, "scratch")
        for d in (self.lib_dir, self.py_dir, self.scratch_dir):
            os.makedirs(d)
        self.steps = []  # (script line, expected result, Python's outcome)
        self.m = None  # the current Python mmap
        self.access = None  # its access name, or "anon"
        self.pattern = "normal"  # the last of normal, random, sequential advised
        self.files = 0

    # Running one operation on the Python side ------------------------------

    def python_call(self, op, args):
        m = self.m
        if op in ("open", "tryopen"):
            name, access, offset, length, via = args
            path = os.path.join(self.py_dir, name.decode())
            flags = os.O_RDONLY if access in ("read", "copy") or via == "fdro" else os.O_RDWR
            fd = os.open(path, flags)
            try:
                fresh = mmap.mmap(fd, length, access=ACCESS[access], offset=offset)
            finally:
                os.close(fd)
            return self.adopt(op, fresh, access)
        if op in ("anon", "tryanon"):
            return self.adopt(op, self.anonymous(args[0]), "anon")
        if op == "closed":
            return m.closed
        if op == "len":
            return len(m)
        if op in ("getitem", "getslice", "dump"):
            return m[args[0]] if op == "getitem" else m[slice(*args) if args else slice(None)]
        if op == "setitem":
            m[args[0]] = args[1]
            return None
        if op == "setslice":
            m[args[0]:args[1]] = args[2]
            return None
        if op in ("find", "rfind") and not m.closed:
            return self.find(op, *args)
        if op == "madvise":
            m.madvise(ADVICE[args[0]], *args[1:])
            if args[0] in ("normal", "random", "sequential"):
                self.pattern = args[0]
            return None
        if op == "resize" and args[0] == 0 and not m.closed and self.access not in ("read", "copy"):
            # Python would truncate the file, then fail; libmmapfs refuses first.
            # (A real anonymous mmap fails without side effect; its twin would not.)
            raise OSError(errno.EINVAL, "resize(0) is refused before the file is touched")
        if op == "size" and self.access == "anon" and not m.closed:
            raise OSError(errno.EBADF, "an anonymous mmap has no file: fstat(-1)")
        if op == "resize":
            return self.resize(args[0])
        return getattr(m, op)(*args)

    def resize(self, size):
        """
        Python's resize, which uses mremap(2), fails with EFAULT once
        advice on part of the mapping has split it into several kernel
        mappings; libmmapfs must still resize then (DESIGN §2.4), applying
        the last access pattern to the whole new mapping. Doing just that
        on the Python side first lets the kernel merge the pieces again, so
        that the retry (which truncates the file to the same size again)
        can succeed.
        """
        try:
            self.m.resize(size)
        except OSError as exc:
            if exc.errno != errno.EFAULT:
                raise
            self.m.madvise(ADVICE[self.pattern])
            self.m.resize(size)

    def find(self, op, needle, start=None, end=None):
        """
        mmap.find/rfind of Python 3.11.2. Its find can read one byte past
        the end of the mapping, and dies of SIGSEGV when that byte is on an
        unmapped page (CPython gh-105235, fixed in 3.11.5). So the search
        runs on a copy of the bytes, with the bounds rules of 3.11.2's
        mmap_gfind(); whenever the real method is safe to call (the mapping
        does not end on a page boundary) its answer is checked against it.
        """
        m, n = self.m, len(self.m)
        bounds = [m.tell() if start is None else start, n if end is None else end]
        for k, b in enumerate(bounds):
            b = b + n if b < 0 else b
            bounds[k] = 0 if b < 0 else min(b, n)
        s, e = bounds
        if not needle:  # 3.11.2 answers the edge even for an inverted range
            model = s if op == "find" else e
        elif e < s:
            model = -1
        else:
            i = m[s:e].find(needle) if op == "find" else m[s:e].rfind(needle)
            model = -1 if i < 0 else s + i
        if n % PAGE != 0:
            real = getattr(m, op)(needle, *[a for a in (start, end) if a is not None])
            assert real == model, f"harness bug: {op} model {model}, Python {real}"
        return model

    def anonymous(self, size):
        """
        The Python twin of an anonymous region. Python's own anonymous mmap
        decides whether SIZE is acceptable, but the twin is a shared
        mapping of an unlinked scratch file: on Linux, growing a shared
        anonymous mapping with mremap() leaves the new pages unbacked, and
        Python 3.11 then dies of SIGBUS on them (CPython gh-110243,
        gh-138204). A file mapping has the semantics an anonymous region
        should have, bytes added by a resize reading as zeros.
        """
        mmap.mmap(-1, size).close()
        self.files += 1
        path = os.path.join(self.scratch_dir, f"anon{self.files}")
        with open(path, "wb") as f:
            f.truncate(size)
        fd = os.open(path, os.O_RDWR)
        try:
            return mmap.mmap(fd, size, access=mmap.ACCESS_WRITE)
        finally:
            os.close(fd)
            os.unlink(path)

    def adopt(self, op, fresh, access):
        if op.startswith("try"):
            with fresh:
                return len(fresh)
        if self.m is not None:
            self.m.close()
        self.m, self.access, self.pattern = fresh, access, "normal"
        return None

    def step(self, op, *args):
        line = " ".join([op] + [encode(a) for a in args])
        try:
            outcome = "ok " + show(self.python_call(op, args))
        except Exception as exc:  # every exception becomes an errno to compare
            outcome = "err " + expected_errno(op, exc)
            outcome_note = f"{type(exc).__name__}: {exc}"
        else:
            outcome_note = outcome
        try:
            pos = "@" + ("none" if self.m is None else str(self.m.tell()))
        except ValueError as exc:
            pos = "@" + expected_errno("tell", exc)
        self.steps.append((line, f"{outcome} {pos}", outcome_note))

    # Generating ------------------------------------------------------------

    def new_file(self, size):
        self.files += 1
        name = f"f{self.files}"
        # Few distinct bytes and many newlines, so that find and readline hit.
        data = bytes(self.rng.choice(b"ab\n\0c\xff") for _ in range(size))
        for d in (self.lib_dir, self.py_dir):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        return name.encode()

    def length(self):
        return len(self.m) if not self.m.closed else PAGE

    def pos(self):
        return self.m.tell() if not self.m.closed else 0

    def edge(self):
        """An index or bound at or around the interesting places."""
        n, r = self.length(), self.rng
        return r.choice([0, 1, n - 1, n, n + 1, -1, -n, -n - 1, r.randint(0, n),
                         -r.randint(0, n), HUGE, -HUGE, PAGE, self.pos()])

    def data(self, room):
        r = self.rng
        n = r.choice([0, 1, r.randint(0, 16), r.randint(0, 64), room, room + 1, max(room - 1, 0)])
        return bytes(r.choice(b"abc\n\0") for _ in range(max(n, 0)))

    def open_segment(self):
        r = self.rng
        if r.random() < 0.25:
            for _ in range(r.randint(0, 2)):
                self.step("tryanon", r.choice([0, 0, 1, PAGE + 3]))
            self.step("anon", r.choice([1, 100, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE + 5]))
            return
        size = r.choice(FILE_SIZES)
        name = self.new_file(size)
        access = r.choice(list(ACCESS))
        offset = r.choice([0] + [k * PAGE for k in (1, 2, 3) if k * PAGE < size])
        length = r.choice([0, size - offset, r.randint(1, size - offset)])
        for _ in range(r.randint(0, 3)):
            self.try_bad_open(name, size, access)
        self.step("open", name, access, offset, length, r.choice(["path", "fd"]))

    def try_bad_open(self, name, size, access):
        r = self.rng
        via = r.choice(["path", "fd"])
        case = r.randrange(7)
        if case == 0:  # offset at or past the end of the file
            offset = (size + PAGE - 1) // PAGE * PAGE
            self.step("tryopen", name, access, offset, r.choice([0, 1]), via)
        elif case == 1:  # offset not a multiple of the page size
            self.step("tryopen", name, access, r.choice([1, 100, PAGE + 1]), 0, via)
        elif case == 2:  # length running past the end
            self.step("tryopen", name, access, 0, size + r.choice([1, PAGE]), via)
        elif case == 3:  # an empty file with length 0
            self.step("tryopen", self.new_file(0), access, 0, 0, via)
        elif case == 4:  # no such file
            self.step("tryopen", b"missing", access, 0, 0, via)
        elif case == 5:  # a descriptor open read-only, for any access
            self.step("tryopen", name, access, 0, 0, "fdro")
        else:  # a good one, dropped at once
            self.step("tryopen", name, access, 0, r.randint(0, size), via)

    def random_op(self):
        r, n, pos = self.rng, self.length(), self.pos()
        op = r.choices(
            ["read", "read_byte", "readline", "write", "write_byte", "seek", "tell",
             "find", "rfind", "getitem", "setitem", "getslice", "setslice", "move",
             "resize", "flush", "madvise", "len", "size", "closed"],
            weights=[8, 5, 6, 8, 5, 12, 2, 7, 7, 5, 5, 5, 5, 4, 6, 3, 5, 2, 2, 1])[0]
        if op in ("read_byte", "readline", "tell", "len", "size", "closed"):
            self.step(op)
        elif op == "read":
            choice = r.choice([[], [-1], [0], [1], [r.randint(0, 40)], [n], [HUGE], [-HUGE]])
            self.step(op, *choice)
        elif op == "write":
            self.step(op, self.data(n - pos))
        elif op == "write_byte":
            self.step(op, r.randrange(256))
        elif op == "seek":
            whence = r.choice([0, 0, 1, 1, 2, 2, 3, -1, None])
            if whence == 1:
                dist = r.choice([0, -pos, n - pos, n - pos + 1, -pos - 1, r.randint(-pos, n - pos), HUGE])
            elif whence == 2:
                dist = r.choice([0, -n, -1, 1, -n - 1, -r.randint(0, n), -HUGE])
            else:
                dist = self.edge()
            self.step(op, *([dist] if whence is None else [dist, whence]))
        elif op in ("find", "rfind"):
            if r.random() < 0.5 and not self.m.closed:
                i = r.randint(0, n)
                needle = self.m[i:i + r.randint(0, 4)]
            else:
                needle = bytes(r.choice(b"ab\nz") for _ in range(r.choice([0, 1, 1, 2, 3])))
            bounds = [self.edge() for _ in range(r.randint(0, 2))]
            self.step(op, needle, *bounds)
        elif op == "getitem":
            self.step(op, self.edge())
        elif op == "setitem":
            self.step(op, self.edge(), r.randrange(256))
        elif op == "getslice":
            self.step(op, self.edge(), self.edge())
        elif op == "setslice":
            i, j = self.edge(), self.edge()
            want = len(range(*slice(i, j).indices(n)))
            count = r.choice([want, want, want, want + 1, max(want - 1, 0)])
            self.step(op, i, j, bytes(r.choice(b"xyz\n") for _ in range(count)))
        elif op == "move":
            count = r.randint(0, n)
            dest, src = r.randint(0, n - count), r.randint(0, n - count)
            bad = r.randrange(8)
            if bad == 0:
                count = n - min(dest, src) + 1
            elif bad == 1:
                dest = n - count + 1
            elif bad == 2:
                src, count = r.choice([(-1, 1), (src, -1), (HUGE, 1), (src, HUGE)])
            self.step(op, dest, src, count)
        elif op == "resize":
            if n > PAGE and r.random() < 0.3:
                # Split the kernel's mapping first: a pattern on one page of it.
                pattern = r.choice(["random", "sequential"])
                self.step("madvise", pattern, PAGE * r.randrange(n // PAGE), PAGE)
            grown = min(n + r.randint(1, 2 * PAGE), 6 * PAGE)
            self.step(op, r.choice([grown, grown, max(n - r.randint(1, PAGE), 1), 1, PAGE,
                                    PAGE + 1, n, 0, 0, -1]))
        elif op == "flush":
            offset = r.choice([0, 0, PAGE, 1, n, n + 1, -1, 2 * PAGE])
            size = r.choice([0, n - offset, n - offset + 1, 1, -1, n])
            self.step(op, *[[], [offset], [offset, size]][r.randrange(3)])
        else:
            names = [a for a in ADVICE if a != "dontneed" or self.access != "copy"]
            # Advice on part of a mapping splits it in the kernel: resize must cope.
            start = r.choice([0, 0, PAGE, PAGE * r.randrange(n // PAGE + 1), 1, n - 1, n, -1])
            length = r.choice([0, 1, PAGE, n, n + PAGE, -1, HUGE, 2**63 - max(start, 1)])
            self.step(op, *[r.choice(names), start, length][:r.randint(1, 3)])

    def generate(self, total):
        r = self.rng
        while len(self.steps) < total:
            self.open_segment()
            for _ in range(r.randint(40, 160)):
                self.random_op()
            self.step("dump")
            if r.random() < 0.4:  # and use it after close
                self.step("close")
                for _ in range(r.randint(1, 8)):
                    self.random_op()
                self.step("close")
        self.m.close()


def compare(case, output):
    """Every mismatch, as text, and the number of lines compared."""
    got = output.splitlines()
    problems = []
    region = "none"
    for i, (line, want, note) in enumerate(case.steps):
        have = got[i] if i < len(got) else "(no output: the driver stopped)"
        if line.startswith(("open ", "anon ")):
            region = f"line {i + 1}: {line}"
        if have != want:
            before = "".join(f"    {s[0][:100]}  ->  {s[1][:60]}\n"
                             for s in case.steps[max(0, i - 6):i])
            problems.append(f"line {i + 1}: {line}\n  python:    {want}   ({note})\n"
                            f"  libmmapfs: {have}\n  region of {region}\n  after:\n{before}")
    for name in sorted(os.listdir(case.py_dir)):
        with open(os.path.join(case.py_dir, name), "rb") as f:
            want = f.read()
        with open(os.path.join(case.lib_dir, name), "rb") as f:
            have = f.read()
        if have != want:
            diff = next((i for i, (a, b) in enumerate(zip(have, want)) if a != b),
                        min(len(have), len(want)))
            problems.append(f"file {name}: python left {len(want)} bytes, libmmapfs {len(have)};"
                            f" first difference at byte {diff}")
    return problems


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_differential(seed, tmp_path):
    if not DRIVER or not os.access(DRIVER, os.X_OK):
        pytest.skip("diff-driver not built (set MMAPFS_DIFF_DRIVER)")
    case = Case(seed, str(tmp_path))
    case.generate(OPS)
    # The Python side ran on py/; the driver gets the same names in lib/.
    lines = []
    for line, _, _ in case.steps:
        words = line.split(" ")
        if words[0] in ("open", "tryopen"):
            name = bytes.fromhex(words[1][2:]).decode()
            words[1] = encode(os.path.join(case.lib_dir, name).encode())
        lines.append(" ".join(words) + "\n")
    script = tmp_path / "script.txt"
    script.write_text("".join(lines))
    proc = subprocess.run([DRIVER, str(script)], capture_output=True, text=True, timeout=300)
    problems = compare(case, proc.stdout)
    if proc.stderr:  # sanitizer reports, GLib criticals: the driver is otherwise silent
        problems.append("the driver wrote to stderr")
    print(f"seed {seed}: {len(case.steps)} operations, {len(problems)} mismatches")
    replay = (f"MMAPFS_DIFF_SEED={seed} MMAPFS_DIFF_OPS={OPS} MMAPFS_DIFF_DRIVER={DRIVER} "
              f"/usr/bin/python3 -m pytest -q -s {os.path.abspath(__file__)}")
    if proc.returncode != 0 or problems:
        pytest.fail(f"seed {seed}: driver exit {proc.returncode}, {len(problems)} mismatches\n"
                    f"replay: {replay}\nscript: {DRIVER} {script}\n"
                    + (f"driver stderr:\n{proc.stderr[-3000:]}\n" if proc.stderr else "")
                    + "\n".join(problems[:3]), pytrace=False)


if __name__ == "__main__":
    if not DRIVER or not os.access(DRIVER, os.X_OK):
        print("diff-driver not built: skipping", file=sys.stderr)
        sys.exit(77)
    sys.exit(pytest.main(["-q", "-s", "-p", "no:cacheprovider", __file__]))
