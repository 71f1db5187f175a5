/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `.control` command lines, the `--map`/`--anon` option values and the
 * canonical form of a command.
 */
#include <errno.h>
#include <string.h>

#include "parse-private.h"

/* The most words any line may hold: `map NAME PATH` and three options. */
#define MAX_WORDS 6


/**
 * mmapfs_command_clear:
 * @cmd: a command filled by a parser, or zeroed
 *
 * Frees the name and path of @cmd and zeroes it (kind
 * %MMAPFS_COMMAND_NONE), so it may be cleared again or reused.
 */
void
mmapfs_command_clear (MmapfsCommand *cmd)
{
	g_return_if_fail (cmd != NULL);

	g_free (cmd->name);
	g_free (cmd->path);
	memset (cmd, 0, sizeof *cmd);
}

/* Bits of the options seen so far, to refuse one given twice. */
enum {
	OPTION_ACCESS = 1 << 0,
	OPTION_OFFSET = 1 << 1,
	OPTION_LENGTH = 1 << 2,
};

static const struct {
	const char *key;
	guint bit;
} map_options[] = {
	{ "access=", OPTION_ACCESS },
	{ "offset=", OPTION_OFFSET },
	{ "length=", OPTION_LENGTH },
};

/*
 * Parses one `KEY=VALUE` option of a map command into @cmd. The access
 * names are compared here rather than through mmapfs_access_from_string()
 * because the value is not NUL-terminated and its sentence must be quoted.
 */
static gboolean
parse_map_option (const char *text, gsize len, guint *seen, MmapfsCommand *cmd, GError **error)
{
	g_autofree char *quoted = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS (map_options); i++) {
		gsize key_len = strlen (map_options[i].key);
		const char *value;
		gsize value_len;

		if (len < key_len || memcmp (text, map_options[i].key, key_len) != 0)
			continue;
		value = text + key_len;
		value_len = len - key_len;

		if (*seen & map_options[i].bit) {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL, "map option %s is given twice", quoted);
			return FALSE;
		}
		*seen |= map_options[i].bit;

		switch (map_options[i].bit) {
		case OPTION_ACCESS:
			for (int access = MMAPFS_ACCESS_DEFAULT; access <= MMAPFS_ACCESS_COPY;
			     access++) {
				const char *name = mmapfs_access_to_string ((MmapfsAccess) access);

				if (strlen (name) == value_len &&
				    memcmp (name, value, value_len) == 0) {
					cmd->access = (MmapfsAccess) access;
					return TRUE;
				}
			}
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL,
					  "map option %s is wrong: access must be read, write, "
					  "copy or default",
					  quoted);
			return FALSE;
		case OPTION_OFFSET:
			return mmapfs_parse_number (value, value_len, &cmd->offset, error);
		default:
			return mmapfs_parse_number (value, value_len, &cmd->length, error);
		}
	}
	quoted = mmapfs_quote (text, len);
	mmapfs_set_error (error, EINVAL,
			  "unknown map option %s: use access=, offset= or length=", quoted);
	return FALSE;
}

/* Takes @len bytes at @text as @cmd's name, if they make a valid one. */
static gboolean
take_name (const char *text, gsize len, MmapfsCommand *cmd, GError **error)
{
	if (!mmapfs_name_validate (text, len, error))
		return FALSE;
	cmd->name = g_strndup (text, len);
	return TRUE;
}

/* The SIZE of an anonymous mapping: a number, and not zero. */
static gboolean
parse_anon_size (const char *text, gsize len, guint64 *out_size, GError **error)
{
	guint64 size;

	if (!mmapfs_parse_number (text, len, &size, error))
		return FALSE;
	if (size == 0) {
		mmapfs_set_error (error, EINVAL,
				  "an anonymous mapping needs a size of at least one byte, not 0");
		return FALSE;
	}
	*out_size = size;
	return TRUE;
}

/* `map NAME PATH [OPTION]...`, with @words starting after the verb. */
static gboolean
parse_map_words (const Word *words, gsize n, MmapfsCommand *cmd, GError **error)
{
	guint seen = 0;

	if (n == 0) {
		mmapfs_set_error (error, EINVAL,
				  "map needs a NAME and an absolute PATH, then optional access=, "
				  "offset= and length=");
		return FALSE;
	}
	if (!take_name (words[0].text, words[0].len, cmd, error))
		return FALSE;
	if (n == 1) {
		mmapfs_set_error (error, EINVAL, "map \"%s\" needs a PATH after the name",
				  cmd->name);
		return FALSE;
	}
	cmd->path = mmapfs_path_unescape (words[1].text, words[1].len, error);
	if (cmd->path == NULL)
		return FALSE;
	if (cmd->path[0] != '/') {
		g_autofree char *quoted = mmapfs_quote (words[1].text, words[1].len);

		mmapfs_set_error (error, EINVAL,
				  "the PATH of a map command must be absolute, and %s is not",
				  quoted);
		return FALSE;
	}
	for (gsize i = 2; i < n; i++) {
		if (!parse_map_option (words[i].text, words[i].len, &seen, cmd, error))
			return FALSE;
	}
	return TRUE;
}

/**
 * mmapfs_command_parse:
 * @line: (array length=len): one line of `.control`, without its newline;
 *   need not be NUL-terminated
 * @len: number of bytes at @line
 * @out_cmd: (out caller-allocates): the command; overwritten (not freed)
 *   on success, untouched on failure
 * @error: return location for an error
 *
 * Parses one `.control` line (DESIGN §2.1). Words are separated by
 * blanks. A blank line, or one whose first non-blank byte is `#`, is
 * %MMAPFS_COMMAND_NONE. The commands are:
 *
 * - `map NAME PATH [access=A] [offset=N] [length=N]`: options in any
 *   order, each at most once; PATH escaped as by mmapfs_path_escape() and
 *   absolute once unescaped. Defaults: access write, offset 0, length 0.
 * - `anon NAME SIZE`: SIZE at least 1 (stored in @length).
 * - `unmap NAME`.
 *
 * One trailing `\n` is tolerated, and a `\r` before it or at the end, so
 * lines of a file written on another system parse too. The offset and
 * lengths are only parsed here; whether they fit a file is the region's
 * business.
 *
 * Returns: %TRUE on success. On failure, %FALSE with:
 *   EINVAL for a line longer than %MMAPFS_LINE_MAX, a NUL byte or inner
 *   newline, an unknown verb or option, an option given twice, a missing
 *   or extra word, a bad escape, a relative PATH, a bad access mode, a
 *   malformed number, an anon SIZE of 0, or an invalid name;
 *   ENAMETOOLONG for a name longer than %MMAPFS_NAME_MAX;
 *   EOVERFLOW for a number beyond 64 bits.
 */
gboolean
mmapfs_command_parse (const char *line, gsize len, MmapfsCommand *out_cmd, GError **error)
{
	g_auto(MmapfsCommand) cmd = { 0 };
	Word words[MAX_WORDS + 1];
	gsize n;
	gsize first = 0;

	g_return_val_if_fail (line != NULL || len == 0, FALSE);
	g_return_val_if_fail (out_cmd != NULL, FALSE);

	/* memchr() must not see NULL, even for zero bytes. */
	if (line == NULL)
		line = "";
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;

	if (len > MMAPFS_LINE_MAX) {
		mmapfs_set_error (error, EINVAL,
				  "command line is too long: it has %" G_GSIZE_FORMAT
				  " bytes, at most %d are allowed",
				  len, MMAPFS_LINE_MAX);
		return FALSE;
	}
	if (memchr (line, '\0', len) != NULL) {
		g_autofree char *quoted = mmapfs_quote (line, len);

		mmapfs_set_error (error, EINVAL, "command line %s holds a NUL byte", quoted);
		return FALSE;
	}
	if (memchr (line, '\n', len) != NULL) {
		g_autofree char *quoted = mmapfs_quote (line, len);

		mmapfs_set_error (error, EINVAL,
				  "command %s holds a newline: give one command per line", quoted);
		return FALSE;
	}

	while (first < len && is_blank (line[first]))
		first++;
	if (first == len || line[first] == '#') {
		memset (out_cmd, 0, sizeof *out_cmd);
		return TRUE;
	}

	/* One slot more than a valid line needs, so "too many" is visible. */
	n = split_words (line, len, words, G_N_ELEMENTS (words));
	cmd.access = MMAPFS_ACCESS_WRITE;

	if (word_equal (&words[0], "map")) {
		if (n > MAX_WORDS) {
			g_autofree char *quoted = mmapfs_quote (line, len);

			mmapfs_set_error (error, EINVAL,
					  "command %s has too many words: map takes NAME, PATH "
					  "and up to three options",
					  quoted);
			return FALSE;
		}
		cmd.kind = MMAPFS_COMMAND_MAP;
		if (!parse_map_words (words + 1, n - 1, &cmd, error))
			return FALSE;
	} else if (word_equal (&words[0], "anon")) {
		if (n != 3) {
			g_autofree char *quoted = mmapfs_quote (line, len);

			mmapfs_set_error (error, EINVAL,
					  "command %s is wrong: anon takes a NAME and a SIZE",
					  quoted);
			return FALSE;
		}
		cmd.kind = MMAPFS_COMMAND_ANON;
		if (!take_name (words[1].text, words[1].len, &cmd, error) ||
		    !parse_anon_size (words[2].text, words[2].len, &cmd.length, error))
			return FALSE;
	} else if (word_equal (&words[0], "unmap")) {
		if (n != 2) {
			g_autofree char *quoted = mmapfs_quote (line, len);

			mmapfs_set_error (error, EINVAL,
					  "command %s is wrong: unmap takes one NAME", quoted);
			return FALSE;
		}
		cmd.kind = MMAPFS_COMMAND_UNMAP;
		if (!take_name (words[1].text, words[1].len, &cmd, error))
			return FALSE;
	} else {
		g_autofree char *quoted = mmapfs_quote (words[0].text, words[0].len);

		mmapfs_set_error (error, EINVAL, "unknown command %s: use map, anon or unmap",
				  quoted);
		return FALSE;
	}

	*out_cmd = cmd;
	memset (&cmd, 0, sizeof cmd);
	return TRUE;
}

/*
 * Where the PATH of a `--map NAME=PATH,...` value ends: at the first
 * `,access=`, `,offset=` or `,length=`, so that a comma anywhere else is
 * part of the path.
 */
static const char *
find_path_end (const char *path)
{
	const char *end = path + strlen (path);

	for (gsize i = 0; i < G_N_ELEMENTS (map_options); i++) {
		g_autofree char *needle = g_strconcat (",", map_options[i].key, NULL);
		const char *hit = strstr (path, needle);

		if (hit != NULL && hit < end)
			end = hit;
	}
	return end;
}

/**
 * mmapfs_command_parse_option:
 * @kind: %MMAPFS_COMMAND_MAP for `--map`/`-o map=`, %MMAPFS_COMMAND_ANON
 *   for `--anon`/`-o anon=`
 * @spec: the option's value, NUL-terminated
 * @out_cmd: (out caller-allocates): the command; overwritten (not freed)
 *   on success, untouched on failure
 * @error: return location for an error
 *
 * Parses the command-line forms of DESIGN §2.1 into the same command a
 * `.control` line gives:
 *
 * - map: `NAME=PATH[,access=A][,offset=N][,length=N]`. PATH is raw (not
 *   escaped) and may be relative: the caller resolves it before
 *   daemonising. It ends at the first `,access=`, `,offset=` or
 *   `,length=`; any other comma belongs to it.
 * - anon: `NAME=SIZE`.
 *
 * Returns: %TRUE on success. On failure, %FALSE with the errnos of
 *   mmapfs_command_parse(): EINVAL (no `=`, empty PATH, unknown or
 *   repeated option, bad access, malformed number, SIZE 0, invalid name),
 *   ENAMETOOLONG, EOVERFLOW.
 */
gboolean
mmapfs_command_parse_option (MmapfsCommandKind kind, const char *spec, MmapfsCommand *out_cmd,
			     GError **error)
{
	g_auto(MmapfsCommand) cmd = { 0 };
	const char *equals;
	const char *value;

	g_return_val_if_fail (kind == MMAPFS_COMMAND_MAP || kind == MMAPFS_COMMAND_ANON, FALSE);
	g_return_val_if_fail (spec != NULL, FALSE);
	g_return_val_if_fail (out_cmd != NULL, FALSE);

	equals = strchr (spec, '=');
	if (equals == NULL) {
		g_autofree char *quoted = mmapfs_quote (spec, strlen (spec));

		mmapfs_set_error (error, EINVAL, "%s option %s must have the form %s",
				  kind == MMAPFS_COMMAND_MAP ? "map" : "anon", quoted,
				  kind == MMAPFS_COMMAND_MAP
					  ? "NAME=PATH[,access=A][,offset=N][,length=N]"
					  : "NAME=SIZE");
		return FALSE;
	}
	if (!take_name (spec, (gsize) (equals - spec), &cmd, error))
		return FALSE;
	value = equals + 1;
	cmd.kind = kind;
	cmd.access = MMAPFS_ACCESS_WRITE;

	if (kind == MMAPFS_COMMAND_ANON) {
		if (!parse_anon_size (value, strlen (value), &cmd.length, error))
			return FALSE;
	} else {
		const char *path_end = find_path_end (value);
		const char *option = path_end;
		guint seen = 0;

		if (path_end == value) {
			mmapfs_set_error (error, EINVAL,
					  "map option for \"%s\" needs a PATH after \"=\"",
					  cmd.name);
			return FALSE;
		}
		cmd.path = g_strndup (value, (gsize) (path_end - value));

		/* Option values hold no commas, so the rest splits on every one. */
		while (*option == ',') {
			const char *next = strchr (option + 1, ',');

			if (next == NULL)
				next = option + strlen (option);
			if (!parse_map_option (option + 1, (gsize) (next - option - 1), &seen, &cmd,
					       error))
				return FALSE;
			option = next;
		}
	}

	*out_cmd = cmd;
	memset (&cmd, 0, sizeof cmd);
	return TRUE;
}

/**
 * mmapfs_command_format:
 * @cmd: a command
 *
 * Writes @cmd in the canonical form that `.control` reads back and that
 * mmapfs_command_parse() turns into an equal command: `map NAME PATH
 * access=A offset=N length=N` (the path escaped, all three options always
 * present, numbers in decimal), `anon NAME SIZE` or `unmap NAME`.
 * %MMAPFS_COMMAND_NONE gives an empty line.
 *
 * A map command must carry an absolute path to parse back; one from
 * mmapfs_command_parse_option() may still be relative.
 *
 * Returns: (transfer full): the line, without a newline
 */
char *
mmapfs_command_format (const MmapfsCommand *cmd)
{
	g_return_val_if_fail (cmd != NULL, NULL);

	switch (cmd->kind) {
	case MMAPFS_COMMAND_MAP: {
		g_autofree char *path = NULL;

		g_return_val_if_fail (cmd->name != NULL && cmd->path != NULL, NULL);
		path = mmapfs_path_escape (cmd->path);
		return g_strdup_printf ("map %s %s access=%s offset=%" G_GUINT64_FORMAT
					" length=%" G_GUINT64_FORMAT,
					cmd->name, path, mmapfs_access_to_string (cmd->access),
					cmd->offset, cmd->length);
	}
	case MMAPFS_COMMAND_ANON:
		g_return_val_if_fail (cmd->name != NULL, NULL);
		return g_strdup_printf ("anon %s %" G_GUINT64_FORMAT, cmd->name, cmd->length);
	case MMAPFS_COMMAND_UNMAP:
		g_return_val_if_fail (cmd->name != NULL, NULL);
		return g_strdup_printf ("unmap %s", cmd->name);
	case MMAPFS_COMMAND_NONE:
	default:
		return g_strdup ("");
	}
}
