# SPDX-License-Identifier: LGPL-2.1-or-later
"""bash completion for mmapctl (contrib/completion/mmapctl), run by bash
with bash-completion loaded, as an interactive shell would: subcommands,
options, option values, and advice names from a live mount's menu."""
import os
import re
import shlex
import subprocess

import pytest

from tools_helpers import SOURCE_ROOT, read_node

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
SCRIPT = os.path.join(SOURCE_ROOT, "contrib", "completion", "mmapctl")

pytestmark = pytest.mark.skipif(not os.path.exists(BASH_COMPLETION),
                                reason="bash-completion is not installed")


def bash_words(line):
    """COMP_WORDS as bash makes them: blanks separate words, and '=' and ':'
    (in COMP_WORDBREAKS) are words of their own."""
    words = []
    for word in shlex.split(line):
        words += [part for part in re.split(r"([=:])", word) if part]
    return words + ([""] if line.endswith(" ") else [])


def complete(line, cwd=None):
    """The completions bash offers for line (the cursor at its end)."""
    words = bash_words(line)
    program = f"""
source {shlex.quote(BASH_COMPLETION)}
source {shlex.quote(SCRIPT)}
COMP_LINE={shlex.quote(line)}
COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
_mmapctl mmapctl "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                       text=True, cwd=cwd, timeout=60)
    assert r.returncode == 0, r.stderr
    return sorted(x for x in r.stdout.split("\n") if x)


def test_subcommands():
    assert complete("mmapctl ") == sorted(
        "map anon unmap list stat resize advise flush move lock find rfind resident touch "
        "evict save restore help".split())
    assert complete("mmapctl re") == ["resident", "resize", "restore"]
    assert complete("mmapctl --v") == ["--version"]


def test_options_and_values():
    assert complete("mmapctl resident --b") == ["--bar"]
    assert complete("mmapctl find --") == ["--end", "--help", "--hex", "--json", "--regex",
                                           "--start"]
    assert complete("mmapctl map --access ") == ["copy", "default", "read", "write"]
    assert complete("mmapctl map --access=r") == ["read"]
    assert complete("mmapctl resident --range ") == []


def test_paths(tmp_path):
    (tmp_path / "alpha").write_text("a")
    (tmp_path / "beta").mkdir()
    assert complete("mmapctl resident ", cwd=tmp_path) == ["alpha", "beta"]
    assert complete("mmapctl touch -q al", cwd=tmp_path) == ["alpha"]
    # A size is not a path.
    assert complete("mmapctl resize beta ", cwd=tmp_path) == []


def test_advice_from_the_live_menu(start_mount, lorem):
    # allow_hwpoison puts names in the menu that the fallback list lacks.
    m = start_mount("--map", f"lorem={lorem}", "-o", "allow_hwpoison")
    menu = read_node(m.node("lorem", "advise")).replace("[", "").replace("]", "").split()
    assert "hwpoison" in menu
    assert complete(f"mmapctl advise {m.node('lorem')} ") == sorted(menu)
    assert complete(f"mmapctl advise {m.node('lorem')} hw") == ["hwpoison"]
    assert complete(f"mmapctl advise {m.node('lorem', 'data')} popu") == \
        ["populate_read", "populate_write"]


def test_advice_fallback_without_a_mount(tmp_path):
    offered = complete(f"mmapctl advise {tmp_path}/nothing ")
    assert {"willneed", "pageout", "populate_read", "sequential"} <= set(offered)
    assert "hwpoison" not in offered
    # After the advice comes a range: nothing to offer.
    assert complete(f"mmapctl advise {tmp_path}/x willneed ") == []
