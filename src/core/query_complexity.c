/*
 * query_complexity.c — the shape of a SQL text: one tokenizing pass that
 * counts keywords, operators and parameters (feature 12 of pgss/1 and the
 * text features of pgss/2).
 *
 * A tokenizer, not a parser: it follows just enough of PostgreSQL's lexer
 * (src/backend/parser/scan.l) to tell keywords from text that only looks
 * like them:
 *   'string'     with '' escapes; E'string' also with backslash escapes
 *                (E only when it stands alone: "de'x'" is not an E-string)
 *   "ident"      with "" escapes
 *   $tag$...$tag$, $$...$$   dollar quotes (tag: identifier without $)
 *   $1           a parameter, as in pg_stat_statements' normalized text
 *   -- comment   to the end of the line
 *   / * ... * /  block comments, nested like PostgreSQL's
 *   operators    runs of + - * / < > = ~ ! @ # ^ & | ` ? %, cut before a
 *                comment start, and with scan.l's rule that a trailing + or
 *                - is not part of the operator unless the run holds one of
 *                ~ ! @ # ^ & | ` ? % (so "x=-1" is "=" then "-")
 *
 * Standard strings take backslashes literally (standard_conforming_strings,
 * on since 9.1).  Words are runs of identifier characters (letters, digits,
 * _, $, every byte >= 0x80, so UTF-8) compared whole: "joined", "my_join",
 * "over_limit" do not count; "1union" is one glued token counting for
 * nothing (PostgreSQL 15+ rejects such junk anyway).  Two-token patterns
 * look at the next significant token (only whitespace and comments may come
 * between): GROUP BY, ORDER BY (WITHIN GROUP (ORDER BY x) is one ORDER BY,
 * no GROUP BY), an aggregate name then "(", IN then "(", AS [NOT]
 * MATERIALIZED then "(" (a CTE).  The statement kind is the first word after
 * opening parentheses; after a leading WITH, the first SELECT / VALUES /
 * TABLE / INSERT / UPDATE / DELETE / MERGE at the WITH's depth.
 *
 * The input is fuzzed: every read is bounds-checked against len, NUL is an
 * ordinary byte, an unterminated quote or comment runs to the end.  One
 * forward pass, no allocation, linear even for dollar quotes: a close
 * attempt at '$' compares only while bytes match the tag, and tags hold no
 * '$', so it reads only bytes the search would step over anyway.  Counts
 * saturate at INT_MAX.  pgss/1's query_complexity keeps exactly its 1.0
 * rules (its unit tests are kept).
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "query_complexity.h"

/* What the previous significant token leaves pending for the next one. */
typedef enum PrevToken
{
	PREV_OTHER,
	PREV_GROUP,					/* BY next: GROUP BY */
	PREV_ORDER,					/* BY next: ORDER BY */
	PREV_WORD,					/* "(" next: a function call */
	PREV_CALL,					/* "(" next: an aggregate call */
	PREV_NAME,					/* after INTO, TABLE, AS: a name, not a call */
	PREV_NAMED,					/* that name: "." next continues it (schema.table) */
	PREV_IN,					/* "(" next: an IN list or subquery */
	PREV_AS,					/* "(" next: a CTE body */
	PREV_AS_NOT					/* MATERIALIZED next: AS NOT MATERIALIZED */
} PrevToken;

/* The words the shape looks at; everything else is KW_NONE. */
typedef enum Keyword
{
	KW_NONE,					/* an identifier or a keyword of no interest */
	KW_SELECT, KW_JOIN, KW_GROUP, KW_ORDER, KW_BY, KW_DISTINCT,
	KW_UNION, KW_INTERSECT, KW_EXCEPT, KW_OVER, KW_LIMIT, KW_FETCH,
	KW_AS, KW_NOT, KW_MATERIALIZED, KW_INTO,
	KW_LIKE, KW_ILIKE, KW_SIMILAR, KW_BETWEEN, KW_IN, KW_IS, KW_EXISTS,
	KW_WITH, KW_VALUES, KW_TABLE, KW_INSERT, KW_UPDATE, KW_DELETE, KW_MERGE,
	KW_AGGREGATE,				/* an aggregate function's name */
	KW_NOT_CALL					/* a keyword that "(" may follow without a call */
} Keyword;

#define MAX_KEYWORD_LEN 15

/*
 * Lower-case spellings, sorted for the binary search (the unit test looks
 * every entry up); any other word ending in "_agg" is an aggregate too.
 */
static const struct
{
	const char *word;
	Keyword		kw;
}			keywords[] =
{
	{"all", KW_NOT_CALL}, {"and", KW_NOT_CALL}, {"any", KW_NOT_CALL},
	{"array", KW_NOT_CALL}, {"as", KW_AS}, {"avg", KW_AGGREGATE},
	{"between", KW_BETWEEN}, {"bit_and", KW_AGGREGATE}, {"bit_or", KW_AGGREGATE},
	{"bool_and", KW_AGGREGATE}, {"bool_or", KW_AGGREGATE}, {"by", KW_BY},
	{"case", KW_NOT_CALL}, {"cast", KW_NOT_CALL}, {"check", KW_NOT_CALL}, {"conflict", KW_NOT_CALL},
	{"constraint", KW_NOT_CALL}, {"corr", KW_AGGREGATE}, {"count", KW_AGGREGATE},
	{"covar_pop", KW_AGGREGATE}, {"covar_samp", KW_AGGREGATE}, {"cube", KW_NOT_CALL},
	{"delete", KW_DELETE}, {"distinct", KW_DISTINCT}, {"do", KW_NOT_CALL},
	{"else", KW_NOT_CALL}, {"every", KW_AGGREGATE}, {"except", KW_EXCEPT},
	{"exists", KW_EXISTS}, {"fetch", KW_FETCH}, {"filter", KW_NOT_CALL},
	{"for", KW_NOT_CALL}, {"from", KW_NOT_CALL}, {"group", KW_GROUP},
	{"having", KW_NOT_CALL}, {"ilike", KW_ILIKE}, {"in", KW_IN},
	{"insert", KW_INSERT}, {"intersect", KW_INTERSECT}, {"into", KW_INTO},
	{"is", KW_IS}, {"join", KW_JOIN}, {"key", KW_NOT_CALL},
	{"lateral", KW_NOT_CALL}, {"like", KW_LIKE}, {"limit", KW_LIMIT},
	{"materialized", KW_MATERIALIZED}, {"max", KW_AGGREGATE}, {"merge", KW_MERGE},
	{"min", KW_AGGREGATE}, {"mode", KW_AGGREGATE}, {"not", KW_NOT},
	{"null", KW_NOT_CALL}, {"offset", KW_NOT_CALL}, {"on", KW_NOT_CALL},
	{"only", KW_NOT_CALL}, {"or", KW_NOT_CALL}, {"order", KW_ORDER},
	{"over", KW_OVER}, {"partition", KW_NOT_CALL},
	{"percentile_cont", KW_AGGREGATE}, {"percentile_disc", KW_AGGREGATE},
	{"primary", KW_NOT_CALL}, {"recursive", KW_NOT_CALL},
	{"references", KW_NOT_CALL}, {"returning", KW_NOT_CALL},
	{"rollup", KW_NOT_CALL}, {"row", KW_NOT_CALL}, {"select", KW_SELECT},
	{"set", KW_NOT_CALL}, {"sets", KW_NOT_CALL}, {"similar", KW_SIMILAR},
	{"some", KW_NOT_CALL}, {"stddev", KW_AGGREGATE}, {"stddev_pop", KW_AGGREGATE},
	{"stddev_samp", KW_AGGREGATE}, {"sum", KW_AGGREGATE}, {"table", KW_TABLE},
	{"then", KW_NOT_CALL}, {"to", KW_NOT_CALL}, {"union", KW_UNION},
	{"unique", KW_NOT_CALL}, {"update", KW_UPDATE}, {"using", KW_NOT_CALL},
	{"values", KW_VALUES}, {"var_pop", KW_AGGREGATE}, {"var_samp", KW_AGGREGATE},
	{"variance", KW_AGGREGATE}, {"when", KW_NOT_CALL}, {"where", KW_NOT_CALL},
	{"window", KW_NOT_CALL}, {"with", KW_WITH}, {"within", KW_NOT_CALL},
	{"xmlagg", KW_AGGREGATE},
};

/* Where the statement kind stands: undecided, inside a WITH clause, known. */
typedef enum KindState
{
	KIND_START,
	KIND_AFTER_WITH,
	KIND_DONE
} KindState;

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

/* Add without overflowing: the features are counts, not checksums. */
static void
bump(int *count)
{
	if (*count < INT_MAX)
		(*count)++;
}

/* The keyword a word is, after ASCII case folding (locale must not matter). */
static Keyword
classify_word(const unsigned char *w, size_t n)
{
	char		lower[MAX_KEYWORD_LEN + 1];
	size_t		lo = 0;
	size_t		hi = sizeof(keywords) / sizeof(keywords[0]);
	size_t		k;

	if (n <= MAX_KEYWORD_LEN)
	{
		for (k = 0; k < n; k++)
			lower[k] = (char) ((w[k] >= 'A' && w[k] <= 'Z') ? w[k] - 'A' + 'a' : w[k]);
		lower[n] = '\0';
		/* binary search of the sorted table */
		while (lo < hi)
		{
			size_t		mid = lo + (hi - lo) / 2;
			int			c = strcmp(lower, keywords[mid].word);

			if (c == 0)
				return keywords[mid].kw;
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	if (n > 4 && word_is(w + n - 4, 4, "_agg"))
		return KW_AGGREGATE;
	return KW_NONE;
}

/* Can this byte be part of an operator (scan.l's op_chars)? */
static int
is_op_char(unsigned char c)
{
	return c != '\0' && strchr("~!@#^&|`?+-*/%<>=", c) != NULL;
}

/*
 * Length of the operator starting at s[i]: the run of operator bytes up to
 * a comment start, minus trailing + / - unless the run holds one of
 * ~ ! @ # ^ & | ` ? % (scan.l's rule, so "=-1" is "=" then "-1").  At least 1.
 */
static size_t
operator_length(const unsigned char *s, size_t len, size_t i)
{
	size_t		n = 1;
	size_t		k;

	while (i + n < len && is_op_char(s[i + n]) &&
		   !(s[i + n] == '-' && i + n + 1 < len && s[i + n + 1] == '-') &&
		   !(s[i + n] == '/' && i + n + 1 < len && s[i + n + 1] == '*'))
		n++;
	if (n > 1 && (s[i + n - 1] == '+' || s[i + n - 1] == '-'))
	{
		for (k = 0; k < n - 1; k++)
			if (strchr("~!@#^&|`?%", s[i + k]) != NULL)
				return n;
		do
			n--;
		while (n > 1 && (s[i + n - 1] == '+' || s[i + n - 1] == '-'));
	}
	return n;
}

/* Is the operator s[0 .. n) exactly op? */
static int
operator_is(const unsigned char *s, size_t n, const char *op)
{
	return strlen(op) == n && memcmp(s, op, n) == 0;
}

/* Count a comparison or pattern-matching operator. */
static void
count_operator(const unsigned char *s, size_t n, QpmQueryShape *sh)
{
	static const char *const comparisons[] = {"=", "<>", "!=", "<", ">", "<=", ">="};
	static const char *const patterns[] = {"~", "~*", "!~", "!~*", "~~", "~~*", "!~~", "!~~*"};
	size_t		k;

	for (k = 0; k < sizeof(comparisons) / sizeof(comparisons[0]); k++)
		if (operator_is(s, n, comparisons[k]))
			bump(&sh->predicates);
	for (k = 0; k < sizeof(patterns) / sizeof(patterns[0]); k++)
		if (operator_is(s, n, patterns[k]))
		{
			bump(&sh->predicates);
			bump(&sh->pattern_matches);
		}
}

/* The statement kind a leading keyword gives, or OTHER. */
static QpmStatementKind
kind_of(Keyword kw)
{
	switch (kw)
	{
		case KW_SELECT:
		case KW_VALUES:
		case KW_TABLE:
			return QPM_KIND_SELECT;
		case KW_INSERT:
			return QPM_KIND_INSERT;
		case KW_UPDATE:
			return QPM_KIND_UPDATE;
		case KW_DELETE:
			return QPM_KIND_DELETE;
		case KW_MERGE:
			return QPM_KIND_MERGE;
		default:
			return QPM_KIND_OTHER;
	}
}

/* Update the statement kind with a word at parenthesis depth depth. */
static void
note_kind_word(KindState *ks, size_t *with_depth, size_t depth, Keyword kw,
			   QpmQueryShape *sh)
{
	if (*ks == KIND_START)
	{
		if (kw == KW_WITH)
		{
			*ks = KIND_AFTER_WITH;
			*with_depth = depth;
			return;
		}
		sh->kind = kind_of(kw);
		*ks = KIND_DONE;
	}
	else if (*ks == KIND_AFTER_WITH && depth == *with_depth &&
			 kind_of(kw) != QPM_KIND_OTHER)
	{
		sh->kind = kind_of(kw);
		*ks = KIND_DONE;
	}
}

/* Count one word and say what it leaves pending; see the file header. */
static PrevToken
count_word(Keyword kw, PrevToken prev, QpmQueryShape *sh)
{
	switch (kw)
	{
		case KW_BY:
			if (prev == PREV_GROUP)
				bump(&sh->group_bys);
			else if (prev == PREV_ORDER)
				bump(&sh->order_bys);
			return PREV_OTHER;
		case KW_GROUP:
			return PREV_GROUP;
		case KW_ORDER:
			return PREV_ORDER;
		case KW_SELECT:
			bump(&sh->selects);
			break;
		case KW_JOIN:
			bump(&sh->joins);
			break;
		case KW_DISTINCT:
			bump(&sh->distincts);
			break;
		case KW_UNION:
		case KW_INTERSECT:
		case KW_EXCEPT:
			bump(&sh->set_ops);
			break;
		case KW_OVER:
			bump(&sh->windows);
			break;
		case KW_LIMIT:
		case KW_FETCH:
			bump(&sh->limits);
			break;
		case KW_AS:
			return PREV_AS;
		case KW_INTO:
		case KW_TABLE:
			return PREV_NAME;
		case KW_NOT:
			return prev == PREV_AS ? PREV_AS_NOT : PREV_OTHER;
		case KW_MATERIALIZED:
			return (prev == PREV_AS || prev == PREV_AS_NOT) ? PREV_AS : PREV_OTHER;
		case KW_LIKE:
		case KW_ILIKE:
		case KW_SIMILAR:
			bump(&sh->pattern_matches);
			bump(&sh->predicates);
			break;
		case KW_BETWEEN:
		case KW_IS:
		case KW_EXISTS:
			bump(&sh->predicates);
			break;
		case KW_IN:
			bump(&sh->predicates);
			return PREV_IN;
		case KW_AGGREGATE:
			return PREV_CALL;
		case KW_NONE:
			/* an identifier: a call if "(" follows, unless it names a relation */
			return (prev == PREV_NAME || prev == PREV_AS) ? PREV_NAMED : PREV_WORD;
		default:
			break;
	}
	return PREV_OTHER;
}

/* An opening parenthesis completes a pending call, IN list or CTE. */
static void
count_open_paren(PrevToken prev, QpmQueryShape *sh)
{
	if (prev == PREV_CALL || prev == PREV_WORD)
		bump(&sh->functions);
	if (prev == PREV_CALL)
		bump(&sh->aggregates);
	else if (prev == PREV_IN)
		bump(&sh->in_lists);
	else if (prev == PREV_AS)
		bump(&sh->ctes);
}

/* One pass over the text; see the file header for what counts. */
void
qpm_query_shape(const char *text, size_t len, QpmQueryShape *sh)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t		i = 0;
	size_t		depth = 0;
	size_t		with_depth = 0;
	PrevToken	prev = PREV_OTHER;
	KindState	ks = KIND_START;

	memset(sh, 0, sizeof(*sh));
	sh->kind = QPM_KIND_OTHER;
	if (text == NULL)
		return;

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

		bump(&sh->tokens);
		if (is_ident_start(c))
		{
			size_t		start = i;
			Keyword		kw;

			while (i < len && is_ident_cont(s[i]))
				i++;
			if (i - start == 1 && (c == 'e' || c == 'E') && i < len && s[i] == '\'')
			{
				i = skip_quoted(s, len, i, 1);	/* an E'...' string */
				if (ks == KIND_START)
					ks = KIND_DONE;
				prev = PREV_OTHER;
				continue;
			}
			kw = classify_word(s + start, i - start);
			note_kind_word(&ks, &with_depth, depth, kw, sh);
			prev = count_word(kw, prev, sh);
			continue;
		}

		/* any other token ends an undecided kind, except "(" */
		if (ks == KIND_START && c != '(')
			ks = KIND_DONE;
		if (c == '\'' || c == '"')
			i = skip_quoted(s, len, i, 0);
		else if (c == '$')
		{
			if (i + 1 < len && is_digit(s[i + 1]))
				bump(&sh->params);
			i = skip_dollar(s, len, i);
		}
		else if (is_digit(c))
		{
			/* a number, glued to any trailing junk such as 1union */
			while (i < len && is_ident_cont(s[i]))
				i++;
		}
		else if (is_op_char(c))
		{
			size_t		n = operator_length(s, len, i);

			count_operator(s + i, n, sh);
			i += n;
		}
		else
		{
			if (c == '(')
			{
				count_open_paren(prev, sh);
				depth++;
			}
			else if (c == ')' && depth > 0)
				depth--;
			i++;				/* punctuation, NUL, any other byte */
			if (c == '.' && prev == PREV_NAMED)
			{
				prev = PREV_NAME;	/* schema.relation: still a name */
				continue;
			}
		}
		prev = PREV_OTHER;
	}
}

/* pgss/1's keyword count, from the shape; see the header. */
int
qpm_query_complexity_of_shape(const QpmQueryShape *sh)
{
	long long	count;

	count = (long long) sh->joins + sh->group_bys + sh->order_bys + sh->distincts +
		sh->set_ops + sh->windows;
	if (sh->selects > 1)
		count += sh->selects - 1;
	return count > INT_MAX ? INT_MAX : (int) count;
}

int
qpm_query_complexity(const char *text, size_t len)
{
	QpmQueryShape sh;

	qpm_query_shape(text, len, &sh);
	return qpm_query_complexity_of_shape(&sh);
}
