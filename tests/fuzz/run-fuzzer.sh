#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one libFuzzer harness from a seed corpus without writing to it.
#   run-fuzzer.sh FUZZER SEED_DIR ARTIFACT_DIR [LIBFUZZER_OPTION]...
# New inputs go to a temporary directory that is removed afterwards (a
# libFuzzer run writes into its first corpus directory); crashing inputs
# are kept in ARTIFACT_DIR for reproduction: FUZZER ARTIFACT_DIR/crash-...
set -eu
if [ $# -lt 3 ]; then
	echo "usage: run-fuzzer.sh FUZZER SEED_DIR ARTIFACT_DIR [OPTION]..." >&2
	exit 2
fi
fuzzer=$1
seeds=$2
artifacts=$3
shift 3

if [ ! -d "$seeds" ]; then
	echo "run-fuzzer.sh: no seed corpus at $seeds" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mmapfs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$artifacts"

"$fuzzer" -artifact_prefix="$artifacts/" "$@" "$work" "$seeds"
