/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes mmapfs_command_parse_option() with `--map` and `--anon` values.
 * The bytes up to the first NUL are the value, as argv would give it. An
 * accepted anon, or a map with an absolute path, must format to a
 * `.control` line that parses back to the same command.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int allowed[] = { EINVAL, ENAMETOOLONG, EOVERFLOW, 0 };

/* Checks one successfully parsed option value. */
static void
check_command (MmapfsCommandKind kind, const char *spec, const MmapfsCommand *cmd)
{
	g_auto (MmapfsCommand) again = { 0 };
	g_autofree char *line = NULL;

	g_assert_cmpint (cmd->kind, ==, kind);
	g_assert_true (mmapfs_name_validate (cmd->name, strlen (cmd->name), NULL));
	if (kind == MMAPFS_COMMAND_ANON) {
		g_assert_null (cmd->path);
		g_assert_cmpuint (cmd->length, >, 0);
	} else {
		g_assert_nonnull (cmd->path);
		g_assert_cmpuint (strlen (cmd->path), >, 0);
		/* The path is the spec's bytes after "NAME=", verbatim. */
		g_assert_nonnull (strstr (spec, cmd->path));
		if (cmd->path[0] != '/')
			return;
	}

	line = mmapfs_command_format (cmd);
	fuzz_reparse (cmd, line, &again);
}

static void
fuzz_kind (MmapfsCommandKind kind, const char *spec)
{
	g_auto (MmapfsCommand) cmd = { 0 };
	GError *error = NULL;

	if (!mmapfs_command_parse_option (kind, spec, &cmd, &error)) {
		fuzz_check_error (error, allowed);
		return;
	}
	check_command (kind, spec, &cmd);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *spec = g_strndup ((const char *) data, size);

	fuzz_kind (MMAPFS_COMMAND_MAP, spec);
	fuzz_kind (MMAPFS_COMMAND_ANON, spec);
	return 0;
}
