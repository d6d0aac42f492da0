/*
 * test_query_complexity.c — the keyword counter behind feature 12: each
 * keyword, the lexical contexts that must hide it (strings, identifiers,
 * dollar quotes, comments), word boundaries, and hostile input (unterminated
 * constructs, embedded NULs, lengths shorter than the C string).
 */
#include <string.h>

#include "query_complexity.h"
#include "unit.h"

/* Complexity of a C string. */
static int
qc(const char *s)
{
	return qpm_query_complexity(s, strlen(s));
}

/* Each keyword once, in a minimal context. */
static void
test_each_keyword(void)
{
	CHECK(qc("") == 0);
	CHECK(qc("SELECT 1") == 0);
	CHECK(qc("SELECT * FROM a JOIN b ON a.id = b.id") == 1);
	CHECK(qc("SELECT * FROM a LEFT JOIN b USING (id)") == 1);
	CHECK(qc("SELECT * FROM a JOIN b USING (id) JOIN c USING (id)") == 2);
	CHECK(qc("SELECT x, count(*) FROM t GROUP BY x") == 1);
	CHECK(qc("SELECT x FROM t ORDER BY x") == 1);
	CHECK(qc("SELECT DISTINCT x FROM t") == 1);
	CHECK(qc("SELECT count(DISTINCT x) FROM t") == 1);
	CHECK(qc("SELECT 1 UNION SELECT 2") == 2);		/* UNION + extra SELECT */
	CHECK(qc("SELECT 1 UNION ALL SELECT 2") == 2);	/* ALL adds nothing */
	CHECK(qc("SELECT 1 INTERSECT SELECT 2") == 2);
	CHECK(qc("SELECT 1 EXCEPT SELECT 2") == 2);
	CHECK(qc("SELECT row_number() OVER () FROM t") == 1);
	CHECK(qc("SELECT (SELECT 1)") == 1);
	CHECK(qc("SELECT (SELECT (SELECT 1))") == 2);
	CHECK(qc("UPDATE t SET x = 1") == 0);
	CHECK(qc("INSERT INTO t SELECT * FROM u") == 0);	/* one SELECT: none extra */
	CHECK(qc("DELETE FROM t WHERE id IN (SELECT id FROM u)") == 0);
	CHECK(qc("x IS DISTINCT FROM y") == 1);
}

/* Keywords fold case in ASCII; other letters are not keywords. */
static void
test_case_insensitive(void)
{
	CHECK(qc("select * from a join b on true") == 1);
	CHECK(qc("SeLeCt * FrOm a JoIn b On TrUe") == 1);
	CHECK(qc("select x from t group by x order by x") == 2);
	CHECK(qc("Select distinct x from t Union select 1") == 3);
	CHECK(qc("select sum(x) oVeR (pArTiTiOn bY y) from t") == 1);
	CHECK(qc("select 1 intersect select 2 except select 3") == 4);
	CHECK(qc("SELECT select SELECT") == 2);
}

/* Whole words only: identifier characters glue. */
static void
test_word_boundaries(void)
{
	CHECK(qc("SELECT joined, my_join, join_x, join1, join$ FROM t") == 0);
	CHECK(qc("SELECT over_limit, overlay(x placing y from 1), rover FROM t") == 0);
	CHECK(qc("SELECT grouped, groups, ordering, orders, byte FROM t") == 0);
	CHECK(qc("SELECT distinctive, unions, intersection, exception FROM t") == 0);
	CHECK(qc("SELECT selected, reselect FROM t") == 0);
	CHECK(qc("SELECT x$join FROM t") == 0);
	CHECK(qc("SELECT _join FROM t") == 0);
	/* bytes >= 0x80 are identifier characters (UTF-8 letters) */
	CHECK(qc("SELECT \xc3\xa9join, join\xc3\xa9 FROM t") == 0);
	CHECK(qc("SELECT \xc3\xa9 FROM a JOIN b ON true") == 1);
	/* punctuation does separate */
	CHECK(qc("SELECT 1 FROM a,b JOIN(c)ON(true)") == 1);
	CHECK(qc("a.join") == 1);	/* no parser: a qualified name still counts */
	CHECK(qc("(join)") == 1);
	CHECK(qc("join") == 1);		/* at both ends of the text */
	/* a number glued to a word is one token (PG 15+ rejects it) */
	CHECK(qc("SELECT 1union SELECT 2") == 1);
	CHECK(qc("SELECT 1 union SELECT 2") == 2);
	CHECK(qc("SELECT 1.5 UNION SELECT 2e3") == 2);
}

/* GROUP / ORDER pair with the next token only. */
static void
test_two_word_keywords(void)
{
	CHECK(qc("GROUP BY") == 1);
	CHECK(qc("ORDER BY") == 1);
	CHECK(qc("group\n\t  by") == 1);
	CHECK(qc("GROUP /* c */ BY x") == 1);
	CHECK(qc("GROUP/*c*/BY x") == 1);
	CHECK(qc("ORDER -- c\n BY x") == 1);
	CHECK(qc("GROUP /* a /* nested */ b */ -- line\n BY x") == 1);
	CHECK(qc("GROUP") == 0);
	CHECK(qc("BY") == 0);
	CHECK(qc("GROUP x BY") == 0);
	CHECK(qc("GROUP , BY") == 0);
	CHECK(qc("GROUP 'x' BY") == 0);
	CHECK(qc("GROUP \"by\"") == 0);	/* quoted identifier is not BY */
	CHECK(qc("\"group\" BY") == 0);
	CHECK(qc("GROUPBY") == 0);
	CHECK(qc("GROUP BYE") == 0);
	CHECK(qc("GROUP BY BY") == 1);
	CHECK(qc("GROUP GROUP BY") == 1);
	CHECK(qc("ORDER GROUP BY") == 1);
	CHECK(qc("GROUP ORDER BY") == 1);
	/* WITHIN GROUP ( ORDER BY ...): one ORDER BY, no GROUP BY */
	CHECK(qc("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t") == 1);
	CHECK(qc("SELECT x FROM t GROUP BY ROLLUP (x) ORDER BY 1") == 2);
	CHECK(qc("PARTITION BY x") == 0);
}

/* Single-quoted strings hide keywords; '' and E'\'' stay inside. */
static void
test_strings(void)
{
	CHECK(qc("SELECT 'JOIN'") == 0);
	CHECK(qc("SELECT 'a JOIN b GROUP BY c', 'select'") == 0);
	CHECK(qc("SELECT 'it''s JOIN' FROM t") == 0);
	CHECK(qc("SELECT '''' , 'JOIN''' UNION SELECT 1") == 2);
	CHECK(qc("SELECT '' JOIN") == 1);
	/* standard strings: backslash is literal, so the string ends at 'x\' */
	CHECK(qc("SELECT 'x\\' JOIN 'y'") == 1);
	/* E-strings: \' is an escaped quote */
	CHECK(qc("SELECT E'x\\' JOIN' FROM t") == 0);
	CHECK(qc("SELECT e'x\\' JOIN' JOIN t") == 1);
	CHECK(qc("SELECT E'\\\\' JOIN t") == 1);		/* \\ then the closing quote */
	CHECK(qc("SELECT E'a''b JOIN' x") == 0);
	/* E glued to a longer word is no E-string prefix */
	CHECK(qc("SELECT de'x\\' JOIN t") == 1);
	/* other prefixes: plain string rules */
	CHECK(qc("SELECT B'101', X'JOIN', N'JOIN', U&'JOIN' FROM t") == 0);
	/* adjacent strings across a newline */
	CHECK(qc("SELECT 'a'\n'JOIN'") == 0);
}

/* Double-quoted identifiers hide keywords; "" stays inside. */
static void
test_quoted_identifiers(void)
{
	CHECK(qc("SELECT \"join\" FROM \"order\"") == 0);
	CHECK(qc("SELECT \"a\"\"JOIN\" FROM t") == 0);
	CHECK(qc("SELECT \"x\" JOIN \"y\"") == 1);
	CHECK(qc("SELECT U&\"JOIN\" FROM t") == 0);
	CHECK(qc("SELECT \"it's\" JOIN t") == 1);	/* ' inside "" is ordinary */
	CHECK(qc("SELECT 'say \"hi' JOIN t") == 1);	/* " inside '' is ordinary */
	/* no backslash escapes in identifiers */
	CHECK(qc("SELECT \"a\\\" JOIN t") == 1);
}

/* Dollar quotes hide keywords; $1 is a parameter. */
static void
test_dollar_quotes(void)
{
	CHECK(qc("SELECT $$JOIN$$") == 0);
	CHECK(qc("SELECT $$ a JOIN b $$ JOIN c") == 1);
	CHECK(qc("SELECT $fn$ SELECT x FROM a JOIN b $fn$") == 0);
	CHECK(qc("SELECT $fn$ $$ JOIN $$ $fn$ JOIN t") == 1);	/* inner $$ is text */
	CHECK(qc("SELECT $a$ $b$ JOIN $a$ UNION SELECT 1") == 2);
	CHECK(qc("SELECT $a$ $ab$ JOIN $a$ x") == 0);	/* $ab$ does not close $a$ */
	CHECK(qc("SELECT $a$ x$a$ JOIN") == 1);
	CHECK(qc("SELECT $_x1$ JOIN $_x1$") == 0);
	CHECK(qc("SELECT $\xc3\xa9$ JOIN $\xc3\xa9$") == 0);
	CHECK(qc("SELECT $A$ JOIN $a$ JOIN") == 0);	/* tags are case-sensitive */
	CHECK(qc("SELECT $A$ JOIN $a$ JOIN $A$ JOIN") == 1);
	/* a tag cannot start with a digit: $1 is a parameter */
	CHECK(qc("SELECT $1 FROM a JOIN b ON a.x = $2") == 1);
	CHECK(qc("SELECT $1$ JOIN") == 1);
	CHECK(qc("SELECT $12$JOIN$ JOIN") == 0);	/* $12, then $JOIN$ opens a quote */
	/* $ inside a word is part of the identifier, not a quote */
	CHECK(qc("SELECT a$b$ JOIN t") == 1);
	CHECK(qc("SELECT x$$ JOIN t") == 1);
	/* a lone $ or an invalid tag is just a byte */
	CHECK(qc("SELECT $ JOIN t") == 1);
	CHECK(qc("SELECT $a JOIN t") == 1);
	CHECK(qc("SELECT $a-b$ JOIN t") == 1);
	CHECK(qc("$") == 0);
	CHECK(qc("$$") == 0);
	CHECK(qc("$$$") == 0);
	CHECK(qc("$$$$ JOIN") == 1);
	CHECK(qc("$a$$a$ JOIN") == 1);
	CHECK(qc("$a$") == 0);
	/* a quote inside a dollar quote does nothing */
	CHECK(qc("SELECT $$ ' $$ JOIN '") == 1);
	CHECK(qc("SELECT $$ /* $$ JOIN") == 1);
	CHECK(qc("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1 UNION SELECT 2 $body$ LANGUAGE sql") == 0);
}

/* Line and block comments hide keywords; block comments nest. */
static void
test_comments(void)
{
	CHECK(qc("SELECT 1 -- JOIN") == 0);
	CHECK(qc("SELECT 1 -- JOIN\n JOIN") == 1);
	CHECK(qc("SELECT 1 -- JOIN\r JOIN") == 1);
	CHECK(qc("SELECT 1 --\nJOIN") == 1);
	CHECK(qc("SELECT 1 /* JOIN */") == 0);
	CHECK(qc("SELECT 1 /* JOIN */ JOIN") == 1);
	CHECK(qc("SELECT 1 /* a /* JOIN */ JOIN */ x") == 0);		/* nested */
	CHECK(qc("SELECT 1 /* a /* b */ c */ JOIN") == 1);
	CHECK(qc("SELECT 1 /* /* /* */ */ JOIN */ UNION") == 1);
	CHECK(qc("SELECT 1 /**/ JOIN") == 1);
	CHECK(qc("SELECT 1 /*/ JOIN */ x") == 0);	/* "/ *" then "/": still open */
	CHECK(qc("SELECT 1 /* ** */ JOIN") == 1);
	CHECK(qc("SELECT 1 /* 'JOIN */ JOIN") == 1);	/* quote in comment is text */
	CHECK(qc("SELECT 1 /* -- */ JOIN") == 1);	/* -- in block comment is text */
	CHECK(qc("SELECT 1 -- /* \n JOIN") == 1);	/* /x in line comment is text */
	CHECK(qc("SELECT '--' JOIN '/*' JOIN") == 2);	/* comment marks in strings */
	CHECK(qc("SELECT \"--\" JOIN t") == 1);
	CHECK(qc("SELECT 1 - -1 JOIN") == 1);	/* "- -" is no comment */
	CHECK(qc("SELECT 2 / * 3 JOIN") == 1);
	CHECK(qc("SELECT 2*/JOIN") == 1);		/* a stray close is not a comment */
}

/* Unterminated constructs run to the end without reading past it. */
static void
test_unterminated(void)
{
	CHECK(qc("SELECT 'JOIN") == 0);
	CHECK(qc("SELECT '") == 0);
	CHECK(qc("SELECT 'it''") == 0);
	CHECK(qc("SELECT E'\\") == 0);
	CHECK(qc("SELECT E'x\\'") == 0);
	CHECK(qc("SELECT \"JOIN") == 0);
	CHECK(qc("SELECT \"") == 0);
	CHECK(qc("SELECT $$ JOIN") == 0);
	CHECK(qc("SELECT $tag$ JOIN $tag") == 0);
	CHECK(qc("SELECT $tag$ JOIN $ta") == 0);
	CHECK(qc("SELECT $tag") == 0);
	CHECK(qc("SELECT /* JOIN") == 0);
	CHECK(qc("SELECT /* /* */ JOIN") == 0);		/* depth 1 left open */
	CHECK(qc("SELECT /* *") == 0);
	CHECK(qc("SELECT /*") == 0);
	CHECK(qc("SELECT /") == 0);
	CHECK(qc("SELECT -- JOIN") == 0);
	CHECK(qc("SELECT --") == 0);
	CHECK(qc("SELECT -") == 0);
	CHECK(qc("JOIN 'x") == 1);		/* what came before still counts */
	CHECK(qc("JOIN /* x") == 1);
	CHECK(qc("GROUP /* x") == 0);
}

/* Explicit lengths: NULs are ordinary bytes; len, not NUL, ends the text. */
static void
test_lengths_and_nul(void)
{
	static const char with_nul[] = "SELECT 1\0 JOIN t JOIN u";
	static const char nul_in_word[] = "JO\0IN JOIN";
	static const char nul_in_str[] = "'a\0JOIN' JOIN";
	static const char nul_in_comment[] = "/* \0 JOIN */ JOIN";
	static const char nul_between[] = "GROUP\0BY";
	static const char only_nuls[] = "\0\0\0\0";

	CHECK(qpm_query_complexity(with_nul, sizeof(with_nul) - 1) == 2);
	CHECK(qpm_query_complexity(nul_in_word, sizeof(nul_in_word) - 1) == 1);
	CHECK(qpm_query_complexity(nul_in_str, sizeof(nul_in_str) - 1) == 1);
	CHECK(qpm_query_complexity(nul_in_comment, sizeof(nul_in_comment) - 1) == 1);
	CHECK(qpm_query_complexity(nul_between, sizeof(nul_between) - 1) == 0);
	CHECK(qpm_query_complexity(only_nuls, sizeof(only_nuls) - 1) == 0);

	/* len shorter than the string: the cut-off part is invisible */
	CHECK(qpm_query_complexity("SELECT a JOIN b", 10) == 0);	/* "SELECT a J" */
	CHECK(qpm_query_complexity("SELECT a JOIN b", 13) == 1);
	CHECK(qpm_query_complexity("JOINED", 4) == 1);			/* word ends at len */
	CHECK(qpm_query_complexity("GROUP BY", 7) == 0);		/* "GROUP B" */
	CHECK(qpm_query_complexity("'x' JOIN", 1) == 0);
	CHECK(qpm_query_complexity("/* */ JOIN", 1) == 0);
	CHECK(qpm_query_complexity("/* */ JOIN", 3) == 0);
	CHECK(qpm_query_complexity("-- \n JOIN", 1) == 0);
	CHECK(qpm_query_complexity("$a$ $a$ JOIN", 6) == 0);
	CHECK(qpm_query_complexity("$1", 1) == 0);
	CHECK(qpm_query_complexity("E'x'", 1) == 0);
	CHECK(qpm_query_complexity("E'\\'", 3) == 0);
	CHECK(qpm_query_complexity("JOIN", 0) == 0);
	CHECK(qpm_query_complexity(NULL, 0) == 0);
	CHECK(qpm_query_complexity(NULL, 100) == 0);
}

/* Normalized pg_stat_statements text, as the feature really sees it. */
static void
test_pg_stat_statements_text(void)
{
	const char *q =
		"SELECT o.id, c.name, sum(l.qty * l.price) AS total\n"
		"FROM orders o\n"
		"JOIN customers c ON c.id = o.customer_id\n"
		"LEFT JOIN order_lines l ON l.order_id = o.id\n"
		"WHERE o.created_at >= $1 AND o.status = ANY($2) AND c.region <> $3\n"
		"GROUP BY o.id, c.name\n"
		"ORDER BY total DESC\n"
		"LIMIT $4";

	/* 2 JOIN + GROUP BY + ORDER BY */
	CHECK(qc(q) == 4);
	CHECK(qc("SELECT * FROM t WHERE id = $1") == 0);
	CHECK(qc("SELECT $1, $2, $3 UNION ALL SELECT $4, $5, $6") == 2);
	CHECK(qc("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2") == 0);
	CHECK(qc("INSERT INTO t(a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = EXCLUDED.b") == 0);
	CHECK(qc("SELECT $1::text || $2 FROM t JOIN u USING (id) WHERE x = $10") == 1);
	/* leading comments are kept by pg_stat_statements (sqlcommenter tags) */
	CHECK(qc("/* app=billing,route='/join' */ SELECT $1 FROM a JOIN b ON true") == 1);
}

/* Window functions, CTEs and subselects. */
static void
test_window_and_subselects(void)
{
	const char *q =
		"WITH recent AS (\n"
		"  SELECT DISTINCT customer_id FROM orders WHERE created_at > now() - $1::interval\n"
		")\n"
		"SELECT c.id,\n"
		"       rank() OVER (PARTITION BY c.region ORDER BY c.revenue DESC) AS r,\n"
		"       sum(c.revenue) OVER w AS running,\n"
		"       (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n_orders\n"
		"FROM customers c\n"
		"JOIN recent USING (customer_id)\n"
		"WHERE c.id IN (SELECT customer_id FROM vip EXCEPT SELECT customer_id FROM banned)\n"
		"WINDOW w AS (ORDER BY c.id)\n"
		"ORDER BY r";

	/*
	 * DISTINCT 1, OVER 2, ORDER BY 3 (two in windows, one final), JOIN 1,
	 * EXCEPT 1, and 5 SELECTs -> 4 extra: 12.
	 */
	CHECK(qc(q) == 12);

	CHECK(qc("SELECT lag(x) OVER (ORDER BY t), lead(x) OVER (ORDER BY t) FROM s") == 4);
	CHECK(qc("SELECT * FROM (SELECT * FROM (SELECT 1) a) b") == 2);
	CHECK(qc("SELECT EXISTS (SELECT 1 FROM t WHERE t.x = u.x) FROM u") == 1);
	CHECK(qc("(SELECT 1) UNION (SELECT 2) INTERSECT (SELECT 3) EXCEPT (SELECT 4)") == 6);
}

/* Bytes a fuzzer would try, checked for a plausible result. */
static void
test_odd_bytes(void)
{
	unsigned char buf[256];
	int			i;
	int			r;

	for (i = 0; i < 256; i++)
		buf[i] = (unsigned char) i;
	r = qpm_query_complexity((const char *) buf, sizeof(buf));
	CHECK(r >= 0);
	memset(buf, '$', sizeof(buf));
	CHECK(qpm_query_complexity((const char *) buf, sizeof(buf)) == 0);
	memset(buf, '\'', sizeof(buf));
	CHECK(qpm_query_complexity((const char *) buf, sizeof(buf)) == 0);
	memset(buf, '/', sizeof(buf));
	CHECK(qpm_query_complexity((const char *) buf, sizeof(buf)) == 0);
	memset(buf, '*', sizeof(buf));
	CHECK(qpm_query_complexity((const char *) buf, sizeof(buf)) == 0);
	memset(buf, 0xff, sizeof(buf));
	CHECK(qpm_query_complexity((const char *) buf, sizeof(buf)) == 0);
}

int
main(void)
{
	RUN(test_each_keyword);
	RUN(test_case_insensitive);
	RUN(test_word_boundaries);
	RUN(test_two_word_keywords);
	RUN(test_strings);
	RUN(test_quoted_identifiers);
	RUN(test_dollar_quotes);
	RUN(test_comments);
	RUN(test_unterminated);
	RUN(test_lengths_and_nul);
	RUN(test_pg_stat_statements_text);
	RUN(test_window_and_subselects);
	RUN(test_odd_bytes);
	return unit_report("test_query_complexity");
}
