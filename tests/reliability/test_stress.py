# SPDX-License-Identifier: LGPL-2.1-or-later
"""Concurrency stress with a model (suite `stress`).

Several client processes (stress_worker.py) work on one mount at once for
a bounded time: four of them pread/pwrite/mmap their own page-aligned
ranges of one shared `data` mapping, while others resize a file-backed
and an anonymous mapping, memmove, advise, flush and lock mappings of
their own, create/rename/unmap mappings, and read every metadata node.
Each checks what it owns against its model after every step. At the end
the bytes seen through the mount and, after unmounting, the backing
files are compared with the models byte for byte.

It fails on any mismatch, any unexpected errno, any step slower than the
request bound (a hang), or a daemon that died or did not exit 0.

Duration: MMAPFS_STRESS_SECONDS (default 20); seed: MMAPFS_STRESS_SEED
(default random, printed so that a failure can be replayed).
"""

import json
import os
import random
import subprocess
import sys
import time

from helpers import PAGE, pattern, read_bytes, unmount
from rel import HERE, figure, it, request_bound

DURATION = float(os.environ.get('MMAPFS_STRESS_SECONDS', '20'))
DATA_WORKERS = 4
SPAN = 32 * PAGE          # each data worker's range of `data`

# The harness's per-test watchdog must not end a long run (it kills the
# daemon); hangs are caught by this test's own deadline.
it.TEST_TIMEOUT = max(it.TEST_TIMEOUT, 2 * DURATION + 300)


def test_stress(workdir, mounter):
    seed = int(os.environ.get('MMAPFS_STRESS_SEED', random.randrange(1 << 30)))
    bound = request_bound()
    rng = random.Random(seed)
    out = workdir.join('out')
    scratch = workdir.join('scratch')
    os.mkdir(out)
    os.mkdir(scratch)

    files = {
        'data': workdir.file('data.bin', pattern(DATA_WORKERS * SPAN, rng.random())),
        'rs': workdir.file('rs.bin', pattern(8 * PAGE, rng.random())),
        'mv': workdir.file('mv.bin', pattern(16 * PAGE, rng.random())),
        'ad': workdir.file('ad.bin', pattern(16 * PAGE, rng.random())),
        'fl': workdir.file('fl.bin', pattern(16 * PAGE, rng.random())),
        'lk': workdir.file('lk.bin', pattern(4 * PAGE, rng.random())),
    }
    args = []
    for name, path in files.items():
        args += ['--map', f'{name}={path}']
    d = mounter.start(*args, '--anon', 'ra=16k')
    d.expect_exit = None    # checked here, after the comparison

    def config(role, i, **extra):
        cfg = {'mnt': d.mnt, 'seed': rng.randrange(1 << 30), 'bound': bound,
               'duration': DURATION, 'out': out, 'id': i, **extra}
        path = os.path.join(out, f'config-{role}-{i}.json')
        with open(path, 'w') as f:
            json.dump(cfg, f)
        return role, path

    configs = [config('data', i, base=i * SPAN, span=SPAN) for i in range(DATA_WORKERS)]
    configs += [
        config('resize', 0, backing={'rs': files['rs'], 'ra': None}),
        config('move', 0, name='mv', backing_path=files['mv']),
        config('advise', 0, name='ad'),
        config('flush', 0, name='fl', backing_path=files['fl']),
        config('lock', 0, name='lk'),
        config('mapper', 0, scratch=scratch),
        config('meta', 0, names=['data', 'rs', 'ra', 'mv', 'ad', 'fl', 'lk']),
    ]
    worker = os.path.join(HERE, 'stress_worker.py')
    procs = []
    started = time.monotonic()
    for role, path in configs:
        procs.append((role, subprocess.Popen([sys.executable, worker, role, path],
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))

    # A worker stuck in a request would never return: give up at a deadline,
    # kill the daemon (which answers its requests with ENOTCONN) and fail.
    hung = []
    outputs = {}
    deadline = started + DURATION + 3 * bound + 30
    for role, proc in procs:
        try:
            outputs[role + str(proc.pid)] = proc.communicate(
                timeout=max(1, deadline - time.monotonic()))[0]
        except subprocess.TimeoutExpired:
            hung.append(role)
    if hung:
        d.proc.kill()
        for _, proc in procs:
            proc.kill()
            proc.wait()
    assert not hung, f'workers hung (seed {seed}): {hung}'
    elapsed = time.monotonic() - started
    crashed = [(role, proc.returncode, outputs[role + str(proc.pid)].decode()[-2000:])
               for role, proc in procs if proc.returncode != 0]
    assert not crashed, f'workers failed (seed {seed}): {crashed}'

    reports = []
    for name in sorted(os.listdir(out)):
        if name.startswith('report-'):
            with open(os.path.join(out, name)) as f:
                reports.append(json.load(f))
    assert len(reports) == len(configs)
    ops = sum(sum(r['ops'].values()) for r in reports)
    mismatches = [m for r in reports for m in r['mismatches']]
    mismatch_count = sum(r['mismatch_count'] for r in reports)
    stale_windows = sum(r.get('stale_windows', 0) for r in reports)
    errors = [e for r in reports for e in r['errors']]
    slow = [f'{r["role"]}: {s}' for r in reports for s in r['slow']]
    slowest = max(reports, key=lambda r: r['max_step'][0])
    per_role = {}
    for r in reports:
        per_role[r['role']] = per_role.get(r['role'], 0) + sum(r['ops'].values())

    # What the mount serves now, then what the files hold after unmount.
    def model(name):
        with open(os.path.join(out, f'model-{name}.bin'), 'rb') as f:
            return f.read()

    expected = {
        'data': b''.join(model(f'data-{i}') for i in range(DATA_WORKERS)),
        **{name: model(name) for name in ('rs', 'ra', 'mv', 'ad', 'fl', 'lk')},
    }
    live_diff = [name for name, want in expected.items()
                 if read_bytes(d.path(name, 'data')) != want]
    assert d.alive(), 'the daemon died'
    unmount(d.mnt)
    rc = d.wait_exit()
    file_diff = []
    for name, path in files.items():
        with open(path, 'rb') as f:
            if f.read() != expected[name]:
                file_diff.append(name)
    compared = sum(len(v) for v in expected.values())

    figure(f'stress: {elapsed:.0f} s, {len(procs)} client processes, {ops} operations '
           f'({", ".join(f"{k} {v}" for k, v in sorted(per_role.items()))}), '
           f'{mismatch_count} mismatches, {len(errors)} errors, '
           f'{stale_windows} stale-cache windows closed by the daemon, '
           f'{len(live_diff) + len(file_diff)} final differences over {compared} bytes, '
           f'slowest step {slowest["max_step"][0]:.2f} s ({slowest["role"]} '
           f'{slowest["max_step"][1]}), bound {bound:.0f} s, seed {seed}')

    assert rc == 0, f'daemon exited with {rc} after unmount'
    assert not mismatches and mismatch_count == 0, f'seed {seed}:\n' + '\n'.join(mismatches)
    # The window is microseconds long: seen at all, it must stay rare.
    assert stale_windows <= max(3, ops // 10000), f'{stale_windows} stale-cache windows'
    assert not errors, f'seed {seed}:\n' + '\n'.join(errors)
    assert not slow, f'steps slower than {bound}s (seed {seed}): {slow}'
    assert not live_diff, f'mount differs from the model (seed {seed}): {live_diff}'
    assert not file_diff, f'backing files differ from the model (seed {seed}): {file_diff}'
    # Every process really worked (a worker that did nothing proves nothing).
    idle = [r['role'] for r in reports if sum(r['ops'].values()) < 5]
    assert not idle, f'workers that did almost nothing: {idle}'
