# SPDX-License-Identifier: LGPL-2.1-or-later
"""mmapctl's requests to a mount: map, anon, unmap, list, stat, resize,
advise, flush, move, lock (of mappings), save and restore; plain and
--json output (the JSON parsed and checked against the nodes and against
DESIGN §2.6); usage errors (exit 2) and refused requests (exit 1, with
the daemon's sentence)."""
import hashlib
import json
import os
import re

import pytest

from tools_helpers import (PAGE, SOURCE_ROOT, info, mmapctl, mmapctl_json, read_node,
                           write_node)

INFO_INT_KEYS = ["offset", "length", "page_size", "resident_pages", "total_pages", "reads",
                 "writes", "bytes_read", "bytes_written", "flushes"]
COMMANDS = ["map", "anon", "unmap", "list", "stat", "resize", "advise", "flush", "move",
            "lock", "find", "rfind", "resident", "touch", "evict", "save", "restore"]


def project_version():
    with open(os.path.join(SOURCE_ROOT, "meson.build")) as f:
        return re.search(r"version:\s*'([^']+)'", f.read()).group(1)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------------------
# Usage


def test_help_lists_every_command():
    r = mmapctl("--help")
    assert r.returncode == 0
    for command in COMMANDS:
        assert re.search(rf"^  {command}\s", r.stdout, re.M), command
    for command in COMMANDS:
        r = mmapctl(command, "--help")
        assert r.returncode == 0, command
        assert f"mmapctl {command}" in r.stdout


def test_version():
    r = mmapctl("--version")
    assert r.returncode == 0
    assert r.stdout == f"mmapctl {project_version()}\n"


@pytest.mark.parametrize("args, message", [
    ([], "Usage"),
    (["bogus"], '"bogus"'),
    (["stat"], "expects MOUNT/NAME"),
    (["stat", "a", "b"], "expects MOUNT/NAME"),
    (["list", "--bogus", "x"], "--bogus"),
    (["resize", "--json", "m/x", "8k"], "--json"),
    (["advise", "m/x", "willneed", "0:1M", "extra"], "expects"),
    (["advise", "m/x", "willneed", "abc:1"], "abc"),
    (["advise", "m/x", "willneed", "4k:0"], "must not be 0"),
    (["advise", "m/x", "willneed", "8KB:4k"], "8KB"),
    (["advise", "m/x", "will need"], "one word"),
    (["advise", "m/x", "willneed", "0:4k", "--range", "0:4k"], "not both"),
    (["flush", "--async", "--invalidate", "m/x"], "exclude"),
    (["resident", "--range", "-1:", "f"], "-1"),
    (["find", "--hex", "--regex", "f", "x"], "exclude"),
    (["find", "--hex", "f", "0g"], "hexadecimal"),
    (["find", "--regex", "f", "(unclosed"], "--regex"),
    (["find", "--start", "1 2", "f", "x"], "--start"),
])
def test_usage_errors_exit_2(args, message):
    r = mmapctl(*args)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert message in r.stderr
    assert r.stdout == ""


# ---------------------------------------------------------------------------
# map, anon, unmap, list, stat


def test_map_list_stat(start_mount, lorem):
    m = start_mount()
    r = mmapctl("map", m.node("lorem"), lorem)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert os.path.isdir(m.node("lorem"))

    listing = mmapctl_json("list", "--json", m.path)
    assert listing["mount"] == m.path
    assert [x["name"] for x in listing["mappings"]] == ["lorem"]
    entry = listing["mappings"][0]
    size = os.path.getsize(lorem)
    assert entry["path"] == lorem
    assert entry["access"] == "write"
    assert entry["length"] == size
    assert entry["file_size"] == size
    assert entry["anonymous"] is False
    assert entry["locked"] is False
    assert entry["last_error"] is None

    # stat --json: every key of info, with JSON types (DESIGN §2.6).
    raw = info(m.node("lorem"))
    st = mmapctl_json("stat", "--json", m.node("lorem"))
    for key in ["name", "path", "access", "offset", "length", "file_size", "page_size",
                "advice", "locked", "resident_pages", "total_pages", "reads", "writes",
                "bytes_read", "bytes_written", "flushes", "last_error"]:
        assert key in st, key
    assert set(raw) <= set(st)
    for key in INFO_INT_KEYS:
        assert isinstance(st[key], int), key
    for key in ["name", "access", "offset", "length", "file_size", "page_size", "advice"]:
        assert str(st[key]) == raw[key], key
    assert st["total_pages"] == (size + PAGE - 1) // PAGE
    assert st["page_size"] == PAGE

    # Plain output: one aligned "key: value" line per info key, in order.
    r = mmapctl("stat", m.node("lorem"))
    assert r.returncode == 0, r.stderr
    keys = [line.split(":")[0] for line in r.stdout.splitlines()]
    assert keys == list(raw)
    assert re.search(rf"^length:\s+{size} \(", r.stdout, re.M)

    r = mmapctl("list", m.path)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ACCESS", "LENGTH", "RESIDENT", "ADVICE", "LOCKED",
                                "PATH"]
    assert lines[1].split()[0] == "lorem" and lines[1].split()[-1] == lorem


def test_map_options_and_default_name(start_mount, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * PAGE))
    m = start_mount()
    r = mmapctl("map", "--access", "read", "--offset", "4k", "--length", "0x2000",
                m.node("part"), big)
    assert r.returncode == 0, r.stderr
    st = mmapctl_json("stat", "-J", m.node("part"))
    assert (st["access"], st["offset"], st["length"]) == ("read", 4096, 8192)
    with open(m.node("part", "data"), "rb") as f:
        assert f.read() == big.read_bytes()[4096:4096 + 8192]

    # MOUNT alone: the mapping is named after the file; a relative path works.
    r = mmapctl("map", m.path, os.path.relpath(big))
    assert r.returncode == 0, r.stderr
    assert mmapctl_json("stat", "-J", m.node("big.bin"))["path"] == str(big)


def test_map_refused_prints_the_transaction_sentence(start_mount, lorem, tmp_path):
    m = start_mount("--map", f"lorem={lorem}")
    missing = tmp_path / "missing"
    # What the daemon says to a client writing the same line by hand.
    fd = os.open(m.node(".control"), os.O_RDWR)
    try:
        with pytest.raises(OSError):
            os.write(fd, f"map other {missing}\n".encode())
        outcome = os.read(fd, 4096).decode().strip()
    finally:
        os.close(fd)
    assert outcome.startswith("error: ENOENT: ")
    sentence = outcome.split(": ", 2)[2]

    r = mmapctl("map", m.node("other"), missing)
    assert r.returncode == 1
    assert r.stderr == f"mmapctl: {m.node('other')}: {sentence}\n"

    r = mmapctl("map", m.node("lorem"), missing.parent / "lorem.txt")
    assert r.returncode == 1
    assert "lorem" in r.stderr
    r = mmapctl("map", "--access", "sideways", m.node("x"), missing.parent / "lorem.txt")
    assert r.returncode == 1
    assert "sideways" in r.stderr
    assert not os.path.exists(m.node("x"))


def test_anon_resize(start_mount, lorem):
    m = start_mount("--map", f"lorem={lorem}", "--map", f"ro={lorem},access=read")
    assert mmapctl("anon", m.node("scratch"), "64k").returncode == 0
    st = mmapctl_json("stat", "--json", m.node("scratch"))
    assert st["length"] == 65536
    assert st["anonymous"] is True
    assert st["path"] is None and st["file_size"] is None

    r = mmapctl("resize", m.node("scratch"), "0x20000")
    assert r.returncode == 0, r.stderr
    assert read_node(m.node("scratch", "size")) == "131072\n"

    r = mmapctl("resize", m.node("lorem"), "32K")
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(lorem) == 32768

    # Refused: the daemon's sentence, which it also keeps as last_error.
    for target, size in [("scratch", "0"), ("ro", "8k"), ("scratch", "8KB")]:
        r = mmapctl("resize", m.node(target), size)
        assert r.returncode == 1, (target, size)
        last_error = info(m.node(target))["last_error"]
        assert last_error != "none"
        assert r.stderr == f"mmapctl: {m.node(target)}: {last_error}\n"
    assert read_node(m.node("scratch", "size")) == "131072\n"

    r = mmapctl("anon", m.node("bad name"), "4k")
    assert r.returncode == 2
    r = mmapctl("anon", m.node("scratch"), "4k")
    assert r.returncode == 1
    assert "scratch" in r.stderr


def test_unmap(start_mount, lorem):
    m = start_mount("--map", f"lorem={lorem}", "--anon", "a=4k", "--anon", "b=4k")
    r = mmapctl("unmap", m.node("lorem"), m.node("nosuch"), m.node("a"))
    assert r.returncode == 1
    assert "nosuch" in r.stderr
    assert r.stderr.count("mmapctl:") == 1
    # The other two were unmapped all the same, as rm(1) would.
    assert sorted(os.listdir(m.path)) == [".control", "b"]
    assert mmapctl("unmap", m.node("b")).returncode == 0
    assert mmapctl_json("list", "--json", m.path)["mappings"] == []
    assert mmapctl("list", m.path).stdout == ""


# ---------------------------------------------------------------------------
# advise, flush, move, lock


def test_advise_menu_and_advice(mnt):
    menu = read_node(mnt.node("lorem", "advise"))
    r = mmapctl("advise", mnt.node("lorem"))
    assert r.returncode == 0
    assert r.stdout == menu

    doc = mmapctl_json("advise", "--json", mnt.node("lorem"))
    assert doc["pattern"] == "normal"
    assert doc["advice"] == menu.replace("[", "").replace("]", "").split()

    assert mmapctl("advise", mnt.node("lorem"), "sequential").returncode == 0
    assert mmapctl_json("advise", "-J", mnt.node("lorem"))["pattern"] == "sequential"
    assert mmapctl_json("stat", "-J", mnt.node("lorem"))["advice"] == "sequential"

    assert mmapctl("advise", mnt.node("lorem"), "MADV_WILLNEED", "0:8k").returncode == 0
    assert mmapctl("advise", mnt.node("lorem"), "random", "--range", "4096:").returncode == 0
    assert mmapctl_json("advise", "-J", mnt.node("lorem"))["pattern"] == "random"


@pytest.mark.parametrize("args, errno_word", [
    (["bogus"], "bogus"),
    (["nosync"], "nosync"),
    (["willneed", "1M"], None),
    (["willneed", "1:4k"], None),
])
def test_advise_refused(mnt, args, errno_word):
    before = read_node(mnt.node("lorem", "advise"))
    r = mmapctl("advise", mnt.node("lorem"), *args)
    assert r.returncode == 1
    last_error = info(mnt.node("lorem"))["last_error"]
    assert r.stderr == f"mmapctl: {mnt.node('lorem')}: {last_error}\n"
    if errno_word:
        assert errno_word in r.stderr
    assert read_node(mnt.node("lorem", "advise")) == before


def test_flush(mnt, lorem):
    flushes = int(info(mnt.node("lorem"))["flushes"])
    with open(mnt.node("lorem", "data"), "r+b") as f:
        f.write(b"FLUSHED")
    for args in [[], ["0:4096"], ["--range", "4k"], ["--async"], ["--invalidate", "4096:4096"]]:
        r = mmapctl("flush", mnt.node("lorem"), *args)
        assert r.returncode == 0, (args, r.stderr)
    assert int(info(mnt.node("lorem"))["flushes"]) >= flushes + 5
    with open(lorem, "rb") as f:
        assert f.read(7) == b"FLUSHED"

    r = mmapctl("flush", mnt.node("lorem"), "1:4")
    assert r.returncode == 1
    assert info(mnt.node("lorem"))["last_error"] in r.stderr
    r = mmapctl("flush", mnt.node("lorem"), "1M")
    assert r.returncode == 1


def test_move(mnt, lorem):
    with open(lorem, "rb") as f:
        original = f.read()
    assert mmapctl("move", mnt.node("lorem"), "100", "0", "5").returncode == 0
    with open(mnt.node("lorem", "data"), "rb") as f:
        moved = f.read()
    assert moved[100:105] == original[0:5]
    assert moved[:100] == original[:100] and moved[105:] == original[105:]

    before = digest(mnt.node("lorem", "data"))
    r = mmapctl("move", mnt.node("lorem"), "0", str(len(original) - 2), "10")
    assert r.returncode == 1
    assert info(mnt.node("lorem"))["last_error"] in r.stderr
    assert digest(mnt.node("lorem", "data")) == before


def test_lock_mapping(mnt):
    r = mmapctl("lock", "--quiet", mnt.node("lorem"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert read_node(mnt.node("lorem", "lock")) == "1\n"
    assert mmapctl_json("stat", "-J", mnt.node("lorem"))["locked"] is True
    r = mmapctl("lock", "--unlock", mnt.node("lorem"))
    assert r.returncode == 0, r.stderr
    assert read_node(mnt.node("lorem", "lock")) == "0\n"
    # A mapping is locked whole.
    r = mmapctl("lock", "--range", "0:4k", mnt.node("lorem"))
    assert r.returncode == 1
    assert "whole" in r.stderr


# ---------------------------------------------------------------------------
# save and restore


def test_save_restore_round_trip(start_mount, lorem, tmp_path):
    odd = tmp_path / "name with\ttab and space"
    odd.write_bytes(b"x" * 5000)
    m = start_mount("--map", f"lorem={lorem},access=copy", "--anon", "scratch=12k",
                    "--map", f"odd={odd}")
    before = mmapctl_json("list", "--json", m.path)["mappings"]

    saved = tmp_path / "saved"
    assert mmapctl("save", m.path, saved).returncode == 0
    assert saved.read_text() == read_node(m.node(".control"))
    r = mmapctl("save", m.path)
    assert r.stdout == saved.read_text()

    doc = mmapctl_json("save", "--json", m.path)
    assert doc["mount"] == m.path
    by_name = {x["name"]: x for x in doc["mappings"]}
    assert by_name["lorem"] == {"kind": "map", "name": "lorem", "path": lorem,
                                "access": "copy", "offset": 0,
                                "length": os.path.getsize(lorem)}
    assert by_name["scratch"] == {"kind": "anon", "name": "scratch", "size": 12288}
    assert by_name["odd"]["path"] == str(odd)

    assert mmapctl("unmap", *[m.node(x["name"]) for x in before]).returncode == 0
    assert os.listdir(m.path) == [".control"]
    r = mmapctl("restore", m.path, saved)
    assert r.returncode == 0, r.stderr
    after = mmapctl_json("list", "--json", m.path)["mappings"]
    keys = ["name", "path", "access", "offset", "length"]
    assert [{k: x[k] for k in keys} for x in after] == [{k: x[k] for k in keys}
                                                         for x in before]


def test_restore_stops_at_the_failing_line(start_mount, tmp_path):
    m = start_mount()
    lines = "# saved mappings\n\nanon a 4k\nanon b 8k\nmap c /nonexistent/file\nanon d 4k\n"
    r = mmapctl("restore", m.path, input=lines)
    assert r.returncode == 1
    # Line numbers are the file's, comments and blank lines counted.
    assert r.stderr.startswith("mmapctl: standard input:5: ")
    assert "the 2 commands before it stay applied" in r.stderr
    assert sorted(os.listdir(m.path)) == [".control", "a", "b"]

    bad = tmp_path / "bad"
    bad.write_text("anon e 4k\nanon e 4k\n")
    r = mmapctl("restore", m.path, bad)
    assert r.returncode == 1
    assert r.stderr.startswith(f"mmapctl: {bad}:2: ")
    assert "the 1 command before it stays applied" in r.stderr


# ---------------------------------------------------------------------------
# Paths that are not what the command needs


def test_clear_failures(mnt, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    cases = [
        (["list", plain], "not an mmapfs mount"),
        (["list", tmp_path / "nowhere"], "No such file or directory"),
        (["list", mnt.node("lorem")], "this is a mapping"),
        (["stat", mnt.node("nosuch")], 'no mapping named "nosuch"'),
        (["stat", mnt.path], "name a mapping in it"),
        (["stat", plain], "not a mapping"),
        (["resize", mnt.node("nosuch"), "8k"], 'no mapping named "nosuch"'),
        (["advise", mnt.node("nosuch"), "willneed"], 'no mapping named "nosuch"'),
        (["map", plain / "x", mnt.node("lorem", "data")], "not an mmapfs mount"),
        (["resident", tmp_path / "nowhere"], "No such file or directory"),
        (["find", plain, "x"], "neither a mapping nor a regular file"),
    ]
    for args, message in cases:
        r = mmapctl(*args)
        assert r.returncode == 1, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert r.stderr.startswith("mmapctl: ")


def test_json_on_every_read_only_command(mnt, lorem):
    """--json output parses, and commands that change things do not take it."""
    for args in [["list", mnt.path], ["stat", mnt.node("lorem")],
                 ["advise", mnt.node("lorem")], ["resident", mnt.node("lorem"), lorem],
                 ["find", mnt.node("lorem"), "dolor"], ["rfind", lorem, "dolor"],
                 ["save", mnt.path]]:
        r = mmapctl(args[0], "--json", *args[1:])
        assert r.returncode == 0, (args, r.stderr)
        assert isinstance(json.loads(r.stdout), dict)
    for args in [["map", mnt.node("x"), lorem], ["anon", mnt.node("x"), "4k"],
                 ["unmap", mnt.node("lorem")], ["resize", mnt.node("lorem"), "8k"],
                 ["flush", mnt.node("lorem")], ["move", mnt.node("lorem"), "0", "1", "1"],
                 ["touch", lorem], ["evict", lorem], ["lock", mnt.node("lorem")],
                 ["restore", mnt.path]]:
        r = mmapctl(args[0], "--json", *args[1:])
        assert r.returncode == 2, args
    assert os.listdir(mnt.path) == [".control", "lorem"]
    assert write_node(mnt.node("lorem", "lock"), "0\n") == 0


def test_dead_daemon(start_mount, lorem):
    m = start_mount("--map", f"lorem={lorem}")
    m.killed_by_test = True
    m.proc.kill()
    m.proc.wait()
    for args in [["stat", m.node("lorem")], ["list", m.path], ["resident", m.node("lorem")]]:
        r = mmapctl(*args)
        assert r.returncode == 1, args
        assert "the mmapfs daemon has gone" in r.stderr, (args, r.stderr)
