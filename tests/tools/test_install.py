# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install` into a temporary DESTDIR: the exact list of installed
files (daemon, mmapctl, libmmapfs with its SONAME links, headers,
pkg-config file, man pages, bash completion, systemd unit), a C program
built against the installed pkg-config file, and the man pages as
`man -l` shows them."""
import json
import os
import re
import shutil
import subprocess

import pytest

from tools_helpers import BUILD_ROOT, LOREM, MMAPFS, SANITIZERS, SOURCE_ROOT

COMMANDS = ["map", "anon", "unmap", "list", "stat", "resize", "advise", "flush", "move",
            "lock", "find", "rfind", "resident", "touch", "evict", "save", "restore"]
HEADERS = ["mmapfs.h", "mmapfs-advice.h", "mmapfs-error.h", "mmapfs-node.h",
           "mmapfs-parse.h", "mmapfs-region.h", "mmapfs-types.h", "mmapfs-version.h"]


def build_options():
    with open(os.path.join(BUILD_ROOT, "meson-info", "intro-buildoptions.json")) as f:
        return {o["name"]: o["value"] for o in json.load(f)}


def project_version():
    with open(os.path.join(SOURCE_ROOT, "meson.build")) as f:
        return re.search(r"version:\s*'([^']+)'", f.read()).group(1)


def pkg_config_dir(package, variable, define):
    r = subprocess.run(["pkg-config", f"--define-variable={define}", f"--variable={variable}",
                        package], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    meson = os.environ.get("MESON") or shutil.which("meson")
    if not meson:
        pytest.skip("meson is not available to run `meson install`")
    dest = tmp_path_factory.mktemp("destdir")
    r = subprocess.run([meson, "install", "-C", BUILD_ROOT, "--destdir", str(dest)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest


def test_installed_files(installed):
    opts = build_options()
    prefix = opts["prefix"]

    def under(option, *parts):
        d = opts[option]
        return os.path.join(d if os.path.isabs(d) else os.path.join(prefix, d), *parts)

    version = project_version()
    major = version.split(".")[0]
    expected = {
        under("bindir", "mmapfs"),
        under("bindir", "mmapctl"),
        under("libdir", "libmmapfs.so"),
        under("libdir", f"libmmapfs.so.{major}"),
        under("libdir", f"libmmapfs.so.{version}"),
        under("libdir", "pkgconfig", "mmapfs.pc"),
    }
    expected |= {under("includedir", "mmapfs", h) for h in HEADERS}
    if os.path.exists(os.path.join(BUILD_ROOT, "doc", "mmapctl.1")):
        expected |= {under("mandir", "man1", "mmapfs.1"), under("mandir", "man1", "mmapctl.1")}
    completions = pkg_config_dir("bash-completion", "completionsdir",
                                 f"datadir={under('datadir')}")
    if completions:
        expected.add(os.path.join(completions, "mmapctl"))
    units = pkg_config_dir("systemd", "systemdsystemunitdir", f"root_prefix={prefix}")
    if units:
        expected.add(os.path.join(units, "mmapfs@.service"))

    found = set()
    for root, _, files in os.walk(installed):
        for name in files:
            found.add("/" + os.path.relpath(os.path.join(root, name), installed))
    assert found == expected, (f"unexpected: {sorted(found - expected)}; "
                               f"missing: {sorted(expected - found)}")
    # Nothing lands outside the prefix, the unit and completion included.
    assert all(path.startswith(prefix.rstrip("/") + "/") for path in found)

    for program in ("mmapfs", "mmapctl"):
        assert os.access(os.path.join(str(installed) + under("bindir", program)), os.X_OK)
    if shutil.which("readelf"):
        r = subprocess.run(["readelf", "-d", str(installed) + under("libdir", "libmmapfs.so")],
                           capture_output=True, text=True)
        assert f"[libmmapfs.so.{major}]" in r.stdout


def test_example_builds_against_installed_pkg_config(installed, tmp_path):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    opts = build_options()
    prefix = opts["prefix"]
    libdir = opts["libdir"] if os.path.isabs(opts["libdir"]) else \
        os.path.join(prefix, opts["libdir"])
    # Relocate the installed .pc file as a packager would: only its prefix
    # changes (pkg-config's --define-variable would move glib's too).
    with open(str(installed) + os.path.join(libdir, "pkgconfig", "mmapfs.pc")) as f:
        pc = f.read()
    assert re.search(rf"^prefix={re.escape(prefix)}$", pc, re.M)
    (tmp_path / "pkgconfig").mkdir()
    (tmp_path / "pkgconfig" / "mmapfs.pc").write_text(
        re.sub(r"^prefix=.*$", f"prefix={installed}{prefix}", pc, flags=re.M))
    env = dict(os.environ, PKG_CONFIG_PATH=str(tmp_path / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "mmapfs"], env=env,
                           capture_output=True, text=True)
    assert flags.returncode == 0, flags.stderr
    assert f"-I{installed}" in flags.stdout
    program = tmp_path / "mmapfs-count"
    # A sanitized libmmapfs needs its runtime in the program too.
    sanitize = [f"-fsanitize={SANITIZERS}"] if SANITIZERS else []
    r = subprocess.run(["cc", "-Wall", "-Werror", *sanitize, "-o", str(program),
                        os.path.join(SOURCE_ROOT, "contrib", "examples", "mmapfs-count.c"),
                        *flags.stdout.split()], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    run_env = dict(os.environ, LD_LIBRARY_PATH=str(installed) + libdir)
    r = subprocess.run([str(program), LOREM, "dolor"], env=run_env, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    with open(LOREM, "rb") as f:
        text = f.read()
    assert f": {len(text)} bytes, dolor: {text.count(b'dolor')} times, " \
           f"first at {text.find(b'dolor')}, last at {text.rfind(b'dolor')}," in r.stdout

    # The installed programs run against the installed library.
    r = subprocess.run([str(installed) + os.path.join(opts["bindir"] if os.path.isabs(
        opts["bindir"]) else os.path.join(prefix, opts["bindir"]), "mmapctl"), "--version"],
        env=run_env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == f"mmapctl {project_version()}\n"


def man_text(page):
    path = os.path.join(BUILD_ROOT, "doc", page)
    if not os.path.exists(path):
        pytest.skip("man pages are not built (-Dman=disabled or no rst2man)")
    groff = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", path], capture_output=True,
                           text=True)
    assert groff.returncode == 0 and groff.stderr == "", groff.stderr
    r = subprocess.run(["man", "-l", path], env=dict(os.environ, MANWIDTH="80", MANPAGER="cat",
                                                     PAGER="cat", LC_ALL="C.UTF-8"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_mmapctl_man_page():
    text = man_text("mmapctl.1")
    assert text.startswith("MMAPCTL(1)")
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "JSON OUTPUT",
                    "EXIT STATUS", "EXAMPLES", "SEE ALSO"]:
        assert re.search(rf"^{section}$", text, re.M), section
    for command in COMMANDS:
        assert re.search(rf"^       {command} ", text, re.M) or \
            re.search(rf"^       {command} \| ", text, re.M) or \
            re.search(rf"\| {command} ", text), command
    assert max(len(line) for line in text.splitlines()) <= 80


def test_mmapfs_man_page():
    text = man_text("mmapfs.1")
    assert text.startswith("MMAPFS(1)")
    help_text = subprocess.run([MMAPFS, "--help"], capture_output=True, text=True).stdout
    # Every option of mmapfs's own (the block before libfuse's) is documented.
    own = help_text.split("mmapfs options:", 1)[1].split("\n\n", 1)[0]
    options = re.findall(r"^\s+(-o \w+=?|--\w+)", own, re.M)
    assert len(options) >= 6, help_text
    for option in options:
        word = option.split()[-1]
        assert word in text, option
    for node in [".control", "data", "size", "advise", "flush", "move", "lock", "info",
                 "resident"]:
        assert node in text
    assert "fuse.mmapfs" in text and "mmapfs@.service" in text
    assert max(len(line) for line in text.splitlines()) <= 80
