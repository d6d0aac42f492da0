/*
 * query_complexity.c — feature 12: a structural keyword count over SQL text.
 *
 * This is a tokenizer, not a parser.  It follows just enough of
 * PostgreSQL's lexer (src/backend/parser/scan.l) to tell keywords from the
 * text that only looks like them:
 *
 *   'string'     with '' escapes; E'string' also with backslash escapes
 *                (E only when it stands alone: "de'x'" is not an E-string)
 *   "ident"      with "" escapes
 *   $tag$...$tag$, $$...$$   dollar quotes (tag: identifier without $)
 *   $1           a parameter, as in pg_stat_statements' normalized text
 *   -- comment   to the end of the line
 *   / * ... * /  block comments, nested like PostgreSQL's
 *
 * Standard strings take backslashes literally, as with
 * standard_conforming_strings = on (the default since 9.1).  Words are runs
 * of identifier characters (letters, digits, _, $ and every byte >= 0x80,
 * which covers UTF-8) and only whole words are compared, so "joined",
 * "my_join" and "over_limit" do not count.  A word starting with a digit
 * ("1union") is one glued token and counts for nothing; PostgreSQL 15+
 * rejects such trailing junk anyway.
 *
 * GROUP BY and ORDER BY count when BY is the next token after GROUP/ORDER;
 * whitespace and comments between them do not break the pair, anything
 * else does (WITHIN GROUP (ORDER BY x) counts one ORDER BY, no GROUP BY).
 *
 * The input is fuzzed: every read is bounds-checked against len, NUL is an
 * ordinary byte, and an unterminated quote or comment simply runs to the
 * end.  The scan is one forward pass that never allocates.  It stays
 * linear even for dollar quotes: a close attempt at a '$' compares only as
 * far as the bytes match the tag, and tags contain no '$', so the bytes it
 * reads are ones the search would step over anyway.  Counts saturate at
 * INT_MAX instead of overflowing.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "query_complexity.h"

/* What the previous significant token was, for the two-word keywords. */
typedef enum PrevToken
{
	PREV_OTHER,
	PREV_GROUP,
	PREV_ORDER
} PrevToken;

/* Can this byte start an identifier or keyword (scan.l's ident_start)? */
static int
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		c == '_' || c >= 0x80;
}

/* Can this byte continue an identifier (scan.l's ident_cont, with $)? */
static int
is_ident_cont(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* Dollar-quote tags are identifiers without $ (scan.l's dolq_cont). */
static int
is_dolq_cont(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* ASCII digits only: isdigit() would depend on the locale. */
static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Whitespace as scan.l sees it; NUL is deliberately not whitespace. */
static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/* ASCII-only case folding: keywords are ASCII and locale must not matter. */
static int
word_is(const unsigned char *w, size_t n, const char *kw)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char c = w[i];

		if (kw[i] == '\0')
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char) (c - 'A' + 'a');
		if (c != (unsigned char) kw[i])
			return 0;
	}
	return kw[n] == '\0';
}

/* Position just past a quoted string or identifier opened at s[i]. */
static size_t
skip_quoted(const unsigned char *s, size_t len, size_t i, int backslash_escapes)
{
	unsigned char q = s[i];

	i++;
	while (i < len)
	{
		if (s[i] == q)
		{
			if (i + 1 < len && s[i + 1] == q)
				i += 2;			/* doubled quote is an escaped quote */
			else
				return i + 1;
		}
		else if (backslash_escapes && s[i] == '\\' && i + 1 < len)
			i += 2;
		else
			i++;
	}
	return len;
}

/* Position just past a (possibly nested) block comment opened at s[i]. */
static size_t
skip_block_comment(const unsigned char *s, size_t len, size_t i)
{
	size_t		depth = 1;

	i += 2;
	while (i < len)
	{
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*')
		{
			depth++;
			i += 2;
		}
		else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/')
		{
			i += 2;
			if (--depth == 0)
				return i;
		}
		else
			i++;
	}
	return len;
}

/* Position of the newline ending a -- comment opened at s[i], or len. */
static size_t
skip_line_comment(const unsigned char *s, size_t len, size_t i)
{
	i += 2;
	while (i < len && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

/*
 * Position just past whatever starts with the '$' at s[i]: a parameter
 * ($1), a dollar-quoted string ($$...$$, $tag$...$tag$) or a lone '$'.
 * The close search compares at every '$', which matches scan.l: inside a
 * dollar quote it too restarts at each '$' that fails to close.
 */
static size_t
skip_dollar(const unsigned char *s, size_t len, size_t i)
{
	size_t		tag_start = i;
	size_t		tag_len;
	size_t		j = i + 1;

	if (j < len && is_digit(s[j]))
	{
		while (j < len && is_digit(s[j]))
			j++;
		return j;
	}
	if (j < len && is_ident_start(s[j]))
	{
		while (j < len && is_dolq_cont(s[j]))
			j++;
	}
	if (j >= len || s[j] != '$')
		return i + 1;			/* not a dollar quote: an operator-ish '$' */

	/* s[tag_start .. j] is the opening delimiter, both dollars included */
	tag_len = j - tag_start + 1;
	j++;
	while (j < len)
	{
		if (s[j] == '$' && len - j >= tag_len &&
			memcmp(s + j, s + tag_start, tag_len) == 0)
			return j + tag_len;
		j++;
	}
	return len;
}

/* Add without overflowing: the feature is a count, not a checksum. */
static void
bump(int *count)
{
	if (*count < INT_MAX)
		(*count)++;
}

/* One pass over the text; see the file header for what counts. */
int
qpm_query_complexity(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t		i = 0;
	int			count = 0;
	int			n_select = 0;
	PrevToken	prev = PREV_OTHER;

	if (text == NULL)
		return 0;

	while (i < len)
	{
		unsigned char c = s[i];

		if (is_space(c))
		{
			i++;
			continue;
		}
		/* comments are like whitespace: GROUP / * x * / BY still pairs */
		if (c == '-' && i + 1 < len && s[i + 1] == '-')
		{
			i = skip_line_comment(s, len, i);
			continue;
		}
		if (c == '/' && i + 1 < len && s[i + 1] == '*')
		{
			i = skip_block_comment(s, len, i);
			continue;
		}

		if (c == '\'' || c == '"')
			i = skip_quoted(s, len, i, 0);
		else if (c == '$')
			i = skip_dollar(s, len, i);
		else if (is_ident_start(c))
		{
			size_t		start = i;
			size_t		n;
			const unsigned char *w = s + start;

			while (i < len && is_ident_cont(s[i]))
				i++;
			n = i - start;

			if (n == 1 && (c == 'e' || c == 'E') && i < len && s[i] == '\'')
			{
				i = skip_quoted(s, len, i, 1);
				prev = PREV_OTHER;
				continue;
			}

			if (word_is(w, n, "by"))
			{
				if (prev == PREV_GROUP || prev == PREV_ORDER)
					bump(&count);
				prev = PREV_OTHER;
			}
			else if (word_is(w, n, "group"))
				prev = PREV_GROUP;
			else if (word_is(w, n, "order"))
				prev = PREV_ORDER;
			else
			{
				if (word_is(w, n, "select"))
					bump(&n_select);
				else if (word_is(w, n, "join") ||
						 word_is(w, n, "distinct") ||
						 word_is(w, n, "union") ||
						 word_is(w, n, "intersect") ||
						 word_is(w, n, "except") ||
						 word_is(w, n, "over"))
					bump(&count);
				prev = PREV_OTHER;
			}
			continue;
		}
		else if (is_digit(c))
		{
			/* a number, glued to any trailing junk such as 1union */
			while (i < len && is_ident_cont(s[i]))
				i++;
		}
		else
			i++;				/* operator, punctuation, NUL, ... */

		prev = PREV_OTHER;
	}

	if (n_select > 1)
	{
		if (count > INT_MAX - (n_select - 1))
			return INT_MAX;
		count += n_select - 1;
	}
	return count;
}
