/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for every piece of text a client writes into a mount (DESIGN
 * §2.1, §2.4): numbers, mapping names, /proc/mounts-style escaped paths,
 * `.control` command lines and their canonical form, the `--map`/`--anon`
 * option values, and the one-line writes to the size, lock, advise, flush
 * and move nodes.
 *
 * All input is a byte buffer with an explicit length that may hold any
 * byte, NUL included, and may come straight from a hostile write(2): the
 * parsers never read past it, never trust it to be NUL-terminated, and
 * name it in their error sentences only after escaping and truncating it.
 * Outputs are written only once the whole input has been accepted, so a
 * failed parse leaves the caller's structure as it was.
 */
#include <errno.h>
#include <string.h>

#include "mmapfs-private.h"

/* Bytes of client text quoted in a sentence before it is cut short. */
#define QUOTE_MAX 64

/* The most words any line may hold: `map NAME PATH` and three options. */
#define MAX_WORDS 6

/* A word of a line: a slice of the caller's buffer, not NUL-terminated. */
typedef struct {
	const char *text;
	gsize len;
} Word;

/*
 * mmapfs_quote:
 * @text: (array length=len): client bytes, any values
 * @len: number of bytes at @text
 *
 * Renders client text for an error sentence: in double quotes, with
 * quotes, backslashes, control bytes and non-ASCII bytes escaped as C
 * does (`\n`, `\t`, `\r`, `\"`, `\\`, else `\ooo`), and cut after
 * QUOTE_MAX bytes with `...` after the closing quote. The escaping keeps
 * a log line one line and keeps terminal control sequences out of it.
 *
 * Returns: (transfer full): the quoted text
 */
char *
mmapfs_quote (const char *text, gsize len)
{
	gsize shown = MIN (len, QUOTE_MAX);
	GString *out = g_string_sized_new (shown + 8);

	g_string_append_c (out, '"');
	for (gsize i = 0; i < shown; i++) {
		guchar c = (guchar) text[i];

		switch (c) {
		case '"':
			g_string_append (out, "\\\"");
			break;
		case '\\':
			g_string_append (out, "\\\\");
			break;
		case '\n':
			g_string_append (out, "\\n");
			break;
		case '\t':
			g_string_append (out, "\\t");
			break;
		case '\r':
			g_string_append (out, "\\r");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				g_string_append_c (out, (char) c);
			else
				g_string_append_printf (out, "\\%03o", c);
			break;
		}
	}
	g_string_append_c (out, '"');
	if (len > shown)
		g_string_append (out, "...");
	return g_string_free (out, FALSE);
}

/* Words are separated by blanks, as in /proc/mounts: spaces and tabs. */
static gboolean
is_blank (char c)
{
	return c == ' ' || c == '\t';
}

static gboolean
word_equal (const Word *word, const char *literal)
{
	return word->len == strlen (literal) && memcmp (word->text, literal, word->len) == 0;
}

/*
 * Splits @len bytes at @text into blank-separated words, storing at most
 * @max of them. Returns the number of words there are, which may exceed
 * @max: callers reject such lines before looking at the words.
 */
static gsize
split_words (const char *text, gsize len, Word *words, gsize max)
{
	gsize n = 0;
	gsize i = 0;

	while (i < len) {
		gsize start;

		while (i < len && is_blank (text[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank (text[i]))
			i++;
		if (n < max) {
			words[n].text = text + start;
			words[n].len = i - start;
		}
		n++;
	}
	return n;
}

/* The shift of a binary suffix (`K`, `m`, `GiB`, `tib`, ...), or -1. */
static int
suffix_shift (const char *text, gsize len)
{
	int shift;

	if (len != 1 && len != 3)
		return -1;
	switch (g_ascii_tolower (text[0])) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (len == 3 && !(g_ascii_tolower (text[1]) == 'i' && g_ascii_tolower (text[2]) == 'b'))
		return -1;
	return shift;
}

/* The first letter of a suffix, to explain a refused one such as `KB`. */
static gboolean
is_unit_letter (char c)
{
	return c != '\0' && strchr ("kKmMgGtT", c) != NULL;
}

/* Sets the EINVAL or EOVERFLOW of mmapfs_parse_number(), naming the text. */
static gboolean
number_error (GError **error, int errnum, const char *text, gsize len, const char *reason)
{
	g_autofree char *quoted = mmapfs_quote (text, len);

	if (errnum == EOVERFLOW)
		mmapfs_set_error (error, errnum, "%s does not fit in 64 bits", quoted);
	else
		mmapfs_set_error (error, errnum, "%s is not a number: %s", quoted, reason);
	return FALSE;
}

/**
 * mmapfs_parse_number:
 * @text: (array length=len): one word, exactly: no surrounding blanks
 * @len: number of bytes at @text
 * @out_value: (out): the value
 * @error: return location for an error
 *
 * Parses a number as DESIGN §2.4 writes them: decimal (leading zeros stay
 * decimal, so `010` is ten), or hexadecimal after `0x` or `0X`. Decimal
 * may carry a binary suffix `K`, `M`, `G`, `T`, `KiB`, `MiB`, `GiB` or
 * `TiB` in any case: `8k` is 8192 and `1kib` is 1024.
 *
 * The whole word is checked before its value is computed, so a malformed
 * word is EINVAL however many digits it has.
 *
 * Returns: %TRUE on success. On failure, %FALSE with:
 *   EINVAL for an empty word, a sign, a blank or NUL byte, `KB`-style or
 *   other unknown suffixes, a suffix after hex, `0x` without digits, or any
 *   other byte;
 *   EOVERFLOW for a well-formed number whose value, suffix applied, does
 *   not fit in 64 bits.
 */
gboolean
mmapfs_parse_number (const char *text, gsize len, guint64 *out_value, GError **error)
{
	static const char suffix_advice[] = "use a binary suffix such as K, M, KiB or MiB";
	guint64 value = 0;
	gboolean overflow = FALSE;
	gsize i = 0;

	g_return_val_if_fail (text != NULL || len == 0, FALSE);
	g_return_val_if_fail (out_value != NULL, FALSE);

	if (len == 0)
		return number_error (error, EINVAL, text, len, "it is empty");
	if (memchr (text, '\0', len) != NULL)
		return number_error (error, EINVAL, text, len, "it holds a NUL byte");
	if (text[0] == '+' || text[0] == '-')
		return number_error (error, EINVAL, text, len, "sizes and offsets take no sign");
	for (gsize j = 0; j < len; j++) {
		if (is_blank (text[j]))
			return number_error (error, EINVAL, text, len, "it holds a blank");
	}

	if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		gsize first = 2;

		i = 2;
		while (i < len && g_ascii_isxdigit (text[i]))
			i++;
		if (len == 2)
			return number_error (error, EINVAL, text, len,
					     "hexadecimal digits must follow 0x");
		if (i < len) {
			/* `0x10K` most likely means a suffix: say why it is refused. */
			if (i > 2 && is_unit_letter (text[i]))
				return number_error (error, EINVAL, text, len,
						     "hexadecimal numbers take no suffix");
			return number_error (error, EINVAL, text, len,
					     "0x must be followed by hexadecimal digits only");
		}

		/* Leading zeros are free; sixteen significant digits fill 64 bits. */
		while (first < len - 1 && text[first] == '0')
			first++;
		if (len - first > 16)
			overflow = TRUE;
		else
			for (gsize j = first; j < len; j++)
				value = (value << 4) | (guint64) g_ascii_xdigit_value (text[j]);
	} else {
		int shift = 0;

		while (i < len && g_ascii_isdigit (text[i]))
			i++;
		if (i < len) {
			shift = suffix_shift (text + i, len - i);
			/*
			 * `8KB` and `8Ki` are the likely mistakes. KB means 1000
			 * to some and 1024 to others, so it is refused rather than
			 * guessed.
			 */
			if (i > 0 && shift < 0 && is_unit_letter (text[i]))
				return number_error (error, EINVAL, text, len, suffix_advice);
			if (i == 0 || shift < 0)
				return number_error (error, EINVAL, text, len,
						     "write decimal digits with an optional "
						     "suffix such as K or MiB, or 0x and "
						     "hexadecimal digits");
		}

		for (gsize j = 0; j < i && !overflow; j++) {
			guint digit = (guint) (text[j] - '0');

			if (value > (G_MAXUINT64 - digit) / 10)
				overflow = TRUE;
			else
				value = value * 10 + digit;
		}
		if (!overflow && value > (G_MAXUINT64 >> shift))
			overflow = TRUE;
		value <<= shift;
	}

	if (overflow)
		return number_error (error, EOVERFLOW, text, len, NULL);
	*out_value = value;
	return TRUE;
}

/**
 * mmapfs_name_validate:
 * @name: (array length=len): a proposed mapping name; need not be
 *   NUL-terminated
 * @len: number of bytes at @name
 * @error: return location for an error
 *
 * Checks a mapping name against DESIGN §2: 1 to %MMAPFS_NAME_MAX bytes of
 * `[A-Za-z0-9._-]`, not starting with `.` (which keeps `.control`, `.`
 * and `..` out of the namespace of mappings).
 *
 * Returns: %TRUE if the name is valid. On failure, %FALSE with
 *   ENAMETOOLONG for more than %MMAPFS_NAME_MAX bytes, EINVAL otherwise.
 */
gboolean
mmapfs_name_validate (const char *name, gsize len, GError **error)
{
	g_autofree char *quoted = NULL;

	g_return_val_if_fail (name != NULL || len == 0, FALSE);

	if (len == 0) {
		mmapfs_set_error (error, EINVAL, "a mapping name cannot be empty");
		return FALSE;
	}
	if (len > MMAPFS_NAME_MAX) {
		quoted = mmapfs_quote (name, len);
		mmapfs_set_error (error, ENAMETOOLONG,
				  "mapping name %s is too long: it has %" G_GSIZE_FORMAT
				  " bytes, at most %d are allowed",
				  quoted, len, MMAPFS_NAME_MAX);
		return FALSE;
	}
	if (name[0] == '.') {
		quoted = mmapfs_quote (name, len);
		mmapfs_set_error (error, EINVAL, "mapping name %s cannot start with \".\"", quoted);
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		char c = name[i];

		if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-') {
			quoted = mmapfs_quote (name, len);
			mmapfs_set_error (error, EINVAL,
					  "mapping name %s may hold only letters, digits, \".\", "
					  "\"_\" and \"-\"",
					  quoted);
			return FALSE;
		}
	}
	return TRUE;
}

/* The bytes that would split or break a line of `.control`. */
static gboolean
needs_escape (guchar c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\\';
}

/**
 * mmapfs_path_escape:
 * @path: a path, raw bytes (UTF-8 or not), NUL-terminated
 *
 * Escapes a path for a `.control` line or an `info` value, the way
 * /proc/mounts does: a blank, tab, newline or backslash becomes `\ooo`
 * (three octal digits: `\040`, `\011`, `\012`, `\134`); every other byte
 * is copied unchanged. mmapfs_path_unescape() reverses it.
 *
 * Returns: (transfer full): the escaped path
 */
char *
mmapfs_path_escape (const char *path)
{
	GString *out;

	g_return_val_if_fail (path != NULL, NULL);

	out = g_string_sized_new (strlen (path));
	for (const char *p = path; *p != '\0'; p++) {
		guchar c = (guchar) *p;

		if (needs_escape (c))
			g_string_append_printf (out, "\\%03o", c);
		else
			g_string_append_c (out, (char) c);
	}
	return g_string_free (out, FALSE);
}

static gboolean
is_octal (char c)
{
	return c >= '0' && c <= '7';
}

/**
 * mmapfs_path_unescape:
 * @text: (array length=len): an escaped path; need not be NUL-terminated
 * @len: number of bytes at @text
 * @error: return location for an error
 *
 * Reverses mmapfs_path_escape(). A backslash must start `\ooo` with
 * exactly three octal digits whose value is 1 to 255; any byte may be
 * written that way, not only the four the escaper produces. Other bytes
 * are copied unchanged.
 *
 * Returns: (transfer full) (nullable): the raw path, NUL-terminated, or
 *   %NULL with EINVAL for any other use of a backslash, or when the result
 *   would hold a NUL byte (a raw one, or `\000`), which no path can.
 */
char *
mmapfs_path_unescape (const char *text, gsize len, GError **error)
{
	g_autoptr(GString) out = NULL;
	g_autofree char *quoted = NULL;

	g_return_val_if_fail (text != NULL || len == 0, NULL);

	out = g_string_sized_new (len);
	for (gsize i = 0; i < len; i++) {
		guint value;

		if (text[i] == '\0') {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL, "path %s holds a NUL byte", quoted);
			return NULL;
		}
		if (text[i] != '\\') {
			g_string_append_c (out, text[i]);
			continue;
		}
		if (len - i < 4 || !is_octal (text[i + 1]) || !is_octal (text[i + 2]) ||
		    !is_octal (text[i + 3])) {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL,
					  "path %s has a backslash that does not start a \\ooo "
					  "escape of three octal digits",
					  quoted);
			return NULL;
		}
		value = (guint) (text[i + 1] - '0') * 64 + (guint) (text[i + 2] - '0') * 8 +
			(guint) (text[i + 3] - '0');
		if (value == 0 || value > 255) {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL,
					  "path %s has an escape outside \\001 to \\377", quoted);
			return NULL;
		}
		g_string_append_c (out, (char) value);
		i += 3;
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}

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

/* Lets a half-built command on the stack clean up after itself. */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MmapfsCommand, mmapfs_command_clear)

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

/*
 * The common first step of every node parser: checks that the buffer of
 * one write(2) is a single line of text, trims the blanks around it and
 * one trailing newline, and splits it into at most @max words (more is
 * EINVAL, with @usage as the sentence's advice). @node names the node for
 * the sentences.
 */
static gboolean
node_words (const char *node, const char *usage, const char *buf, gsize len, Word *words,
	    gsize max, gsize *out_n, GError **error)
{
	gsize start = 0;
	gsize n;

	g_return_val_if_fail (buf != NULL || len == 0, FALSE);

	if (buf == NULL)
		buf = "";
	if (len > MMAPFS_LINE_MAX) {
		mmapfs_set_error (error, EINVAL,
				  "the write to the %s node is too long: it has %" G_GSIZE_FORMAT
				  " bytes, at most %d are allowed",
				  node, len, MMAPFS_LINE_MAX);
		return FALSE;
	}
	if (memchr (buf, '\0', len) != NULL) {
		g_autofree char *quoted = mmapfs_quote (buf, len);

		mmapfs_set_error (error, EINVAL, "%s holds a NUL byte: the %s node takes text",
				  quoted, node);
		return FALSE;
	}

	while (len > 0 && is_blank (buf[len - 1]))
		len--;
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	while (len > 0 && is_blank (buf[len - 1]))
		len--;
	while (start < len && is_blank (buf[start]))
		start++;
	buf += start;
	len -= start;

	if (memchr (buf, '\n', len) != NULL) {
		g_autofree char *quoted = mmapfs_quote (buf, len);

		mmapfs_set_error (error, EINVAL,
				  "%s holds more than one line: write one line to the %s node",
				  quoted, node);
		return FALSE;
	}

	n = split_words (buf, len, words, max);
	if (n > max) {
		g_autofree char *quoted = mmapfs_quote (buf, len);

		mmapfs_set_error (error, EINVAL, "%s has too many words for the %s node: %s",
				  quoted, node, usage);
		return FALSE;
	}
	*out_n = n;
	return TRUE;
}

/* A node line that holds exactly one number; empty lines and extra words are EINVAL. */
static gboolean
node_number (const char *node, const char *usage, const char *buf, gsize len, guint64 *out_value,
	     GError **error)
{
	Word words[1];
	gsize n;

	if (!node_words (node, usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n == 0) {
		mmapfs_set_error (error, EINVAL, "the %s node got an empty line: %s", node, usage);
		return FALSE;
	}
	return mmapfs_parse_number (words[0].text, words[0].len, out_value, error);
}

/**
 * mmapfs_parse_size_line:
 * @buf: (array length=len): what one write(2) to the size node held
 * @len: number of bytes at @buf
 * @out_size: (out): the new length of the mapping
 * @error: return location for an error
 *
 * Parses a write to the size node: one number (DESIGN §2.4), with
 * surrounding blanks and one trailing newline ignored.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for anything
 *   but one well-formed number, and for 0; EOVERFLOW for a number beyond
 *   64 bits.
 */
gboolean
mmapfs_parse_size_line (const char *buf, gsize len, guint64 *out_size, GError **error)
{
	guint64 size;

	g_return_val_if_fail (out_size != NULL, FALSE);

	if (!node_number ("size", "write one size, such as 8M or 0x1000", buf, len, &size, error))
		return FALSE;
	if (size == 0) {
		mmapfs_set_error (error, EINVAL, "a mapping cannot be resized to 0 bytes");
		return FALSE;
	}
	*out_size = size;
	return TRUE;
}

/**
 * mmapfs_parse_lock_line:
 * @buf: (array length=len): what one write(2) to the lock node held
 * @len: number of bytes at @buf
 * @out_lock: (out): %TRUE for `1` (mlock), %FALSE for `0` (munlock)
 * @error: return location for an error
 *
 * Parses a write to the lock node: one number, 0 or 1, in the number
 * grammar (so `0x1` locks), with surrounding blanks and one trailing
 * newline ignored.
 *
 * Returns: %TRUE on success; %FALSE with EOVERFLOW for a number beyond 64
 *   bits, EINVAL for anything else
 */
gboolean
mmapfs_parse_lock_line (const char *buf, gsize len, gboolean *out_lock, GError **error)
{
	static const char usage[] = "write 1 to lock the mapping or 0 to unlock it";
	guint64 value;

	g_return_val_if_fail (out_lock != NULL, FALSE);

	if (!node_number ("lock", usage, buf, len, &value, error))
		return FALSE;
	if (value > 1) {
		mmapfs_set_error (error, EINVAL,
				  "the lock node does not take %" G_GUINT64_FORMAT ": %s", value, usage);
		return FALSE;
	}
	*out_lock = value == 1;
	return TRUE;
}

/**
 * mmapfs_parse_advise_line:
 * @buf: (array length=len): what one write(2) to the advise node held
 * @len: number of bytes at @buf
 * @flags: passed to mmapfs_advice_from_string()
 * @out_request: (out caller-allocates): the request
 * @error: return location for an error
 *
 * Parses `ADVICE [START [LENGTH]]` (DESIGN §2.4): an advice name as
 * mmapfs_advice_from_string() takes it, then up to two numbers. START
 * defaults to 0; without LENGTH, @has_length is %FALSE and the advice
 * runs to the end. Whether the range fits the mapping is not checked here.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for an empty
 *   line, more than three words, a malformed number or an unknown advice;
 *   EOVERFLOW for a number beyond 64 bits; EOPNOTSUPP or EPERM from the
 *   advice name.
 */
gboolean
mmapfs_parse_advise_line (const char *buf, gsize len, MmapfsAdviceFlags flags,
			  MmapfsAdviseRequest *out_request, GError **error)
{
	static const char usage[] = "write ADVICE [START [LENGTH]], such as willneed or "
				    "\"dontneed 0 1M\"";
	MmapfsAdviseRequest request = { 0 };
	Word words[3];
	gsize n;

	g_return_val_if_fail (out_request != NULL, FALSE);

	if (!node_words ("advise", usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n == 0) {
		mmapfs_set_error (error, EINVAL, "the advise node got an empty line: %s", usage);
		return FALSE;
	}
	if (!mmapfs_advice_from_string (words[0].text, words[0].len, flags, &request.advice, error))
		return FALSE;
	if (n >= 2 && !mmapfs_parse_number (words[1].text, words[1].len, &request.start, error))
		return FALSE;
	if (n == 3) {
		if (!mmapfs_parse_number (words[2].text, words[2].len, &request.length, error))
			return FALSE;
		request.has_length = TRUE;
	}
	*out_request = request;
	return TRUE;
}

/**
 * mmapfs_parse_flush_line:
 * @buf: (array length=len): what one write(2) to the flush node held
 * @len: number of bytes at @buf
 * @out_request: (out caller-allocates): the request
 * @error: return location for an error
 *
 * Parses `[OFFSET [SIZE [MODE]]]` (DESIGN §2.4). An empty line flushes
 * everything from offset 0; without SIZE, @has_size is %FALSE and the
 * flush runs to the end. MODE is `sync` (the default), `async` or
 * `invalidate`, in any case. The range is not checked here.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for more than
 *   three words, a malformed number or an unknown mode; EOVERFLOW for a
 *   number beyond 64 bits.
 */
gboolean
mmapfs_parse_flush_line (const char *buf, gsize len, MmapfsFlushRequest *out_request,
			 GError **error)
{
	static const char usage[] = "write [OFFSET [SIZE [sync|async|invalidate]]]";
	MmapfsFlushRequest request = { 0 };
	Word words[3];
	gsize n;

	g_return_val_if_fail (out_request != NULL, FALSE);

	if (!node_words ("flush", usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n >= 1 && !mmapfs_parse_number (words[0].text, words[0].len, &request.offset, error))
		return FALSE;
	if (n >= 2) {
		if (!mmapfs_parse_number (words[1].text, words[1].len, &request.size, error))
			return FALSE;
		request.has_size = TRUE;
	}
	if (n == 3) {
		const Word *mode = &words[2];

		if (mode->len == 4 && g_ascii_strncasecmp (mode->text, "sync", 4) == 0) {
			request.flags = MMAPFS_FLUSH_SYNC;
		} else if (mode->len == 5 && g_ascii_strncasecmp (mode->text, "async", 5) == 0) {
			request.flags = MMAPFS_FLUSH_ASYNC;
		} else if (mode->len == 10 &&
			   g_ascii_strncasecmp (mode->text, "invalidate", 10) == 0) {
			request.flags = MMAPFS_FLUSH_INVALIDATE;
		} else {
			g_autofree char *quoted = mmapfs_quote (mode->text, mode->len);

			mmapfs_set_error (error, EINVAL,
					  "%s is not a flush mode: use sync, async or invalidate",
					  quoted);
			return FALSE;
		}
	}
	*out_request = request;
	return TRUE;
}

/**
 * mmapfs_parse_move_line:
 * @buf: (array length=len): what one write(2) to the move node held
 * @len: number of bytes at @buf
 * @out_request: (out caller-allocates): the request
 * @error: return location for an error
 *
 * Parses `DEST SRC COUNT` (DESIGN §2.4): exactly three numbers. The
 * ranges are not checked here.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for any other
 *   number of words or a malformed number; EOVERFLOW for a number beyond
 *   64 bits.
 */
gboolean
mmapfs_parse_move_line (const char *buf, gsize len, MmapfsMoveRequest *out_request,
			GError **error)
{
	static const char usage[] = "write three numbers, DEST SRC COUNT";
	MmapfsMoveRequest request = { 0 };
	Word words[3];
	gsize n;

	g_return_val_if_fail (out_request != NULL, FALSE);

	if (!node_words ("move", usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n < 3) {
		g_autofree char *quoted = NULL;

		if (n == 0) {
			mmapfs_set_error (error, EINVAL, "the move node got an empty line: %s",
					  usage);
		} else {
			/* Quote from the first word to the end of the last one. */
			quoted = mmapfs_quote (words[0].text, (gsize) (words[n - 1].text +
								       words[n - 1].len -
								       words[0].text));
			mmapfs_set_error (error, EINVAL,
					  "%s has too few words for the move node: %s", quoted,
					  usage);
		}
		return FALSE;
	}
	if (!mmapfs_parse_number (words[0].text, words[0].len, &request.dest, error) ||
	    !mmapfs_parse_number (words[1].text, words[1].len, &request.src, error) ||
	    !mmapfs_parse_number (words[2].text, words[2].len, &request.count, error))
		return FALSE;
	*out_request = request;
	return TRUE;
}
