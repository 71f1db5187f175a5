/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Numbers as every node and command writes them (DESIGN §2.4): decimal
 * with an optional binary suffix, or 0x hex.
 */
#include <errno.h>
#include <string.h>

#include "parse-private.h"

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
