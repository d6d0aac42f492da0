/*
 * test_query_complexity.c — the tokenizer behind feature 12 of pgss/1 and
 * the text features of pgss/2: each keyword, the lexical contexts that
 * must hide it (strings, identifiers, dollar quotes, comments), word
 * boundaries, and hostile input (unterminated constructs, embedded NULs,
 * lengths shorter than the C string); then every count of the shape, the
 * two-token patterns, operators as scan.l splits them, the statement kind,
 * and a 1 MB statement.
 */
#include <limits.h>
#include <stdlib.h>
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


/* The shape of a C string. */
static QpmQueryShape
shape(const char *s)
{
	QpmQueryShape sh;

	qpm_query_shape(s, strlen(s), &sh);
	return sh;
}

/* Each count once, in a minimal context. */
static void
test_shape_counts(void)
{
	QpmQueryShape sh;

	sh = shape("SELECT a FROM t");
	CHECK(sh.tokens == 4 && sh.selects == 1 && sh.kind == QPM_KIND_SELECT);
	CHECK(sh.joins == 0 && sh.functions == 0 && sh.predicates == 0 && sh.params == 0);
	sh = shape("SELECT * FROM a JOIN b USING (id) LEFT JOIN c ON c.x = b.x");
	CHECK(sh.joins == 2 && sh.predicates == 1 && sh.functions == 0);
	sh = shape("SELECT x FROM t GROUP BY x ORDER BY x LIMIT 3");
	CHECK(sh.group_bys == 1 && sh.order_bys == 1 && sh.limits == 1);
	sh = shape("SELECT x FROM t OFFSET 1 FETCH FIRST 1 ROW ONLY");
	CHECK(sh.limits == 1);
	sh = shape("SELECT DISTINCT x FROM t UNION SELECT 1 INTERSECT SELECT 2 EXCEPT SELECT 3");
	CHECK(sh.distincts == 1 && sh.set_ops == 3 && sh.selects == 4);
	sh = shape("SELECT rank() OVER w, sum(x) OVER (PARTITION BY y ORDER BY z) FROM t");
	CHECK(sh.windows == 2 && sh.order_bys == 1 && sh.aggregates == 1 && sh.functions == 2);
	sh = shape("SELECT count(*), SUM(x), avg (y), max(z), string_agg(a, ','), my_agg(b), bool_or(c) FROM t");
	CHECK(sh.aggregates == 7 && sh.functions == 7);
	sh = shape("SELECT count, sum FROM t");	/* names without ( are columns */
	CHECK(sh.aggregates == 0 && sh.functions == 0);
	sh = shape("SELECT lower(a), pg_catalog.now(), coalesce(b, 1), \"f\"(c) FROM t");
	CHECK(sh.functions == 3 && sh.aggregates == 0);	/* a quoted name is no word */
	sh = shape("SELECT 1 WHERE a = $1 AND b <> $2 AND c != $3 AND d < 1 AND e > 2 AND f <= 3 AND g >= 4");
	CHECK(sh.predicates == 7 && sh.params == 3 && sh.pattern_matches == 0);
	sh = shape("SELECT 1 WHERE a LIKE $1 OR b ILIKE $2 OR c SIMILAR TO $3 OR d NOT LIKE $4");
	CHECK(sh.pattern_matches == 4 && sh.predicates == 4);
	sh = shape("SELECT 1 WHERE a ~ $1 OR a ~* $1 OR a !~ $1 OR a !~* $1 OR a ~~ $1 OR a ~~* $1 OR a !~~ $1 OR a !~~* $1");
	CHECK(sh.pattern_matches == 8 && sh.predicates == 8 && sh.params == 8);
	sh = shape("SELECT 1 WHERE a BETWEEN 1 AND 2 AND b IS NULL AND EXISTS (SELECT 1) AND c IS DISTINCT FROM d");
	CHECK(sh.predicates == 4 && sh.distincts == 1 && sh.selects == 2);
	sh = shape("SELECT 1 WHERE a IN ($1, $2, $3) AND b NOT IN (SELECT x FROM u) AND c IN d");
	CHECK(sh.in_lists == 2 && sh.predicates == 3 && sh.params == 3);
	sh = shape("WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2), c AS NOT MATERIALIZED (SELECT 3) SELECT 4");
	CHECK(sh.ctes == 3 && sh.selects == 4 && sh.kind == QPM_KIND_SELECT);
	sh = shape("SELECT $1, $2, $10, $1 FROM t");
	CHECK(sh.params == 4);
	/* jsonb, arithmetic and casts are operators but no predicates */
	sh = shape("SELECT a->>'k', b @> c, d + 1, e::int, f || g FROM t");
	CHECK(sh.predicates == 0 && sh.pattern_matches == 0);
	/* everything at once: a pgss/1 count follows from the shape */
	sh = shape("SELECT x FROM a JOIN b ON true GROUP BY x ORDER BY x");
	CHECK(qc("SELECT x FROM a JOIN b ON true GROUP BY x ORDER BY x") ==
		  sh.joins + sh.group_bys + sh.order_bys + sh.distincts + sh.set_ops +
		  sh.windows + (sh.selects > 1 ? sh.selects - 1 : 0));
}

/* Strings, identifiers, dollar quotes and comments hide every count. */
static void
test_shape_hidden(void)
{
	static const char *const hiding[] = {
		"'count(x) = $1 LIKE IN (1) AS (SELECT)'",
		"E'count(x) = \\' $1 LIKE'",
		"\"count(x) = $1 LIKE IN (1)\"",
		"$$count(x) = $1 LIKE IN (1) AS (SELECT)$$",
		"$q$count(x) = $1 $$ LIKE $q$",
		"-- count(x) = $1 LIKE IN (1)\n",
		"/* count(x) = $1 /* LIKE */ IN (1) */",
	};
	size_t		i;

	for (i = 0; i < sizeof(hiding) / sizeof(hiding[0]); i++)
	{
		QpmQueryShape sh = shape(hiding[i]);

		CHECK(sh.functions == 0 && sh.aggregates == 0 && sh.predicates == 0);
		CHECK(sh.params == 0 && sh.in_lists == 0 && sh.ctes == 0 && sh.selects == 0);
		CHECK(sh.tokens <= 1);	/* one string, or nothing for a comment */
	}
}

/* Two-token patterns: whitespace and comments between them are fine, anything else breaks them. */
static void
test_shape_pending(void)
{
	CHECK(shape("count /* c */ (x)").aggregates == 1);
	CHECK(shape("count\n-- c\n(x)").aggregates == 1);
	CHECK(shape("count x (y)").aggregates == 0);
	CHECK(shape("count, (y)").aggregates == 0);
	CHECK(shape("count '' (y)").aggregates == 0);
	CHECK(shape("x IN /* list */ ($1)").in_lists == 1);
	CHECK(shape("x IN y ($1)").in_lists == 0);
	CHECK(shape("w AS -- c\n (SELECT 1)").ctes == 1);
	CHECK(shape("w AS x (SELECT 1)").ctes == 0);
	CHECK(shape("w AS NOT (SELECT 1)").ctes == 0);
	CHECK(shape("w AS MATERIALIZED MATERIALIZED (SELECT 1)").ctes == 1);
	CHECK(shape("w NOT MATERIALIZED (SELECT 1)").ctes == 0);
	/* names after INTO, TABLE and AS are relations or aliases, not calls */
	CHECK(shape("INSERT INTO t (a, b) VALUES ($1, $2)").functions == 0);
	CHECK(shape("INSERT INTO s.t (a) VALUES (lower($1))").functions == 1);
	CHECK(shape("CREATE TABLE s.t (a int)").functions == 0);
	CHECK(shape("SELECT * FROM f(1) AS x(a, b)").functions == 1);
	CHECK(shape("SELECT CAST(a AS numeric(10, 2))").functions == 0);
	/* keywords that "(" may follow are not calls */
	CHECK(shape("SELECT 1 FROM t WHERE (a) AND (b) OR NOT (c) AND EXISTS (SELECT 1)").functions == 0);
	CHECK(shape("SELECT ARRAY(SELECT 1), ROW(1, 2) FROM t JOIN u USING (id) GROUP BY ROLLUP (a), CUBE (b)").functions == 0);
	CHECK(shape("SELECT x FROM t GROUP BY GROUPING SETS ((a), (b))").functions == 0);
	CHECK(shape("SELECT count(*) FILTER (WHERE a) OVER (PARTITION BY b) FROM t").functions == 1);
	CHECK(shape("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t").functions == 1);
	CHECK(shape("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2").functions == 0);
	CHECK(shape("SELECT * FROM t WHERE a = ANY ($1) OR b = ALL (SELECT 1) OR c = SOME ($2)").functions == 0);
	/* every aggregate name of the table is found (the table is sorted for a binary search) */
	{
		static const char *const aggs[] = {
			"avg", "bit_and", "bit_or", "bool_and", "bool_or", "corr", "count",
			"covar_pop", "covar_samp", "every", "max", "min", "mode",
			"percentile_cont", "percentile_disc", "stddev", "stddev_pop",
			"stddev_samp", "sum", "var_pop", "var_samp", "variance", "xmlagg",
			"array_agg", "jsonb_object_agg", "x_agg",
		};
		static const char *const not_calls[] = {
			"all", "and", "any", "array", "case", "cast", "check", "conflict",
			"constraint", "cube", "do", "else", "exists", "filter", "for",
			"from", "having", "in", "into", "is", "join", "key", "lateral",
			"like", "ilike", "limit", "not", "null", "offset", "on", "only",
			"or", "over", "partition", "primary", "recursive", "references",
			"returning", "rollup", "row", "select", "set", "sets", "similar",
			"some", "table", "then", "to", "union", "unique", "using",
			"values", "when", "where", "window", "with", "within", "as",
			"between", "by", "delete", "distinct", "except", "fetch", "group",
			"insert", "intersect", "materialized", "merge", "order", "update",
		};
		char		buf[64];
		size_t		i;

		for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		{
			snprintf(buf, sizeof(buf), "SELECT %s(x)", aggs[i]);
			CHECK(shape(buf).aggregates == 1 && shape(buf).functions == 1);
		}
		for (i = 0; i < sizeof(not_calls) / sizeof(not_calls[0]); i++)
		{
			snprintf(buf, sizeof(buf), "x %s (y)", not_calls[i]);
			if (shape(buf).functions != 0)
				fprintf(stderr, "\"%s\" counted as a call\n", buf);
			CHECK(shape(buf).functions == 0);
		}
		CHECK(shape("SELECT _agg(x)").aggregates == 0);	/* "_agg" alone is a name */
		CHECK(shape("SELECT agg(x)").aggregates == 0);
		CHECK(shape("SELECT COUNT(x), Max(y)").aggregates == 2);
	}
}

/* Operators split as scan.l splits them. */
static void
test_shape_operators(void)
{
	QpmQueryShape sh;

	sh = shape("a=-1");			/* "=" then "-": a comparison */
	CHECK(sh.predicates == 1 && sh.tokens == 4);
	sh = shape("a<=-1");
	CHECK(sh.predicates == 1);
	sh = shape("a<>+1");
	CHECK(sh.predicates == 1);
	sh = shape("a=--1\n");		/* the comment starts inside the run */
	CHECK(sh.predicates == 1 && sh.tokens == 2);
	sh = shape("a=/*x*/1");
	CHECK(sh.predicates == 1 && sh.tokens == 3);
	sh = shape("a ~- b");		/* ~ keeps the trailing -: one operator "~-" */
	CHECK(sh.predicates == 0 && sh.pattern_matches == 0);
	sh = shape("a !~~*b");
	CHECK(sh.pattern_matches == 1);
	sh = shape("a == b");		/* not a PostgreSQL comparison */
	CHECK(sh.predicates == 0);
	sh = shape("a =< b");
	CHECK(sh.predicates == 0);
	sh = shape("a ->> b");
	CHECK(sh.predicates == 0 && sh.tokens == 3);
	sh = shape("+-+-");			/* trailing + and - trimmed down to one */
	CHECK(sh.tokens == 4);
}

/* The statement kind, from the first word or after WITH. */
static void
test_shape_kind(void)
{
	CHECK(shape("select 1").kind == QPM_KIND_SELECT);
	CHECK(shape("((SELECT 1))").kind == QPM_KIND_SELECT);
	CHECK(shape("VALUES (1)").kind == QPM_KIND_SELECT);
	CHECK(shape("TABLE t").kind == QPM_KIND_SELECT);
	CHECK(shape("Insert into t values (1)").kind == QPM_KIND_INSERT);
	CHECK(shape("UPDATE t SET a = 1").kind == QPM_KIND_UPDATE);
	CHECK(shape("DELETE FROM t").kind == QPM_KIND_DELETE);
	CHECK(shape("MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE").kind == QPM_KIND_MERGE);
	CHECK(shape("WITH x AS (SELECT 1) DELETE FROM t").kind == QPM_KIND_DELETE);
	CHECK(shape("WITH x AS (INSERT INTO u VALUES (1) RETURNING *) SELECT * FROM x").kind == QPM_KIND_SELECT);
	CHECK(shape("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n FROM x) SELECT 1").kind == QPM_KIND_SELECT);
	CHECK(shape("(WITH x AS (SELECT 1) UPDATE t SET a = 1)").kind == QPM_KIND_UPDATE);
	CHECK(shape("-- c\n/* d */ DELETE FROM t").kind == QPM_KIND_DELETE);
	CHECK(shape("EXPLAIN SELECT 1").kind == QPM_KIND_OTHER);
	CHECK(shape("CREATE TABLE t AS SELECT 1").kind == QPM_KIND_OTHER);
	CHECK(shape("COPY t FROM STDIN").kind == QPM_KIND_OTHER);
	CHECK(shape("WITH x AS (SELECT 1)").kind == QPM_KIND_OTHER);	/* no main statement */
	CHECK(shape("1 SELECT").kind == QPM_KIND_OTHER);
	CHECK(shape(";SELECT").kind == QPM_KIND_OTHER);
	CHECK(shape("").kind == QPM_KIND_OTHER);
	CHECK(shape("   ").kind == QPM_KIND_OTHER);
	CHECK(shape("selects").kind == QPM_KIND_OTHER);
	CHECK(shape(")) SELECT").kind == QPM_KIND_OTHER);
	CHECK(shape("( ) ) SELECT 1").kind == QPM_KIND_OTHER);
}

/* NULL, short lengths, NULs, unterminated constructs: never past len. */
static void
test_shape_hostile(void)
{
	static const char with_nul[] = "SELECT count(\0) FROM t WHERE a = $1\0 AND b IN ($2)";
	QpmQueryShape sh;

	qpm_query_shape(NULL, 100, &sh);
	CHECK(sh.tokens == 0 && sh.kind == QPM_KIND_OTHER && sh.selects == 0);
	qpm_query_shape("SELECT count(x)", 12, &sh);	/* "SELECT count" */
	CHECK(sh.aggregates == 0 && sh.tokens == 2);
	qpm_query_shape("SELECT count(x)", 13, &sh);
	CHECK(sh.aggregates == 1);
	qpm_query_shape("a IN ($1)", 4, &sh);
	CHECK(sh.in_lists == 0 && sh.predicates == 1);
	qpm_query_shape("$12", 2, &sh);
	CHECK(sh.params == 1);
	qpm_query_shape("$12", 1, &sh);
	CHECK(sh.params == 0 && sh.tokens == 1);
	qpm_query_shape(with_nul, sizeof(with_nul) - 1, &sh);
	CHECK(sh.aggregates == 1 && sh.params == 2 && sh.in_lists == 1 && sh.predicates == 2);
	sh = shape("SELECT count('x");
	CHECK(sh.aggregates == 1 && sh.tokens == 4);
	sh = shape("SELECT $a$ count(x) = $1");
	CHECK(sh.aggregates == 0 && sh.params == 0 && sh.tokens == 2);
	sh = shape("SELECT /* count(x) = $1");
	CHECK(sh.aggregates == 0 && sh.tokens == 1);
	sh = shape("((((((((((");
	CHECK(sh.tokens == 10 && sh.kind == QPM_KIND_OTHER);
	sh = shape("))))))))) SELECT");
	CHECK(sh.kind == QPM_KIND_OTHER);
}

/* A 1 MB statement: linear, exact counts, and saturation never needed. */
static void
test_shape_one_megabyte(void)
{
	static const char piece[] = "SELECT count(x) FROM a JOIN b ON a.i = $1 WHERE c IN ($2) -- JOIN\n";
	size_t		plen = sizeof(piece) - 1;
	size_t		n = (1 << 20) / plen;
	size_t		len = n * plen;
	char	   *big = malloc(len);
	QpmQueryShape sh;
	size_t		i;

	CHECK(big != NULL);
	if (big == NULL)
		return;
	for (i = 0; i < n; i++)
		memcpy(big + i * plen, piece, plen);
	qpm_query_shape(big, len, &sh);
	CHECK((size_t) sh.selects == n && (size_t) sh.joins == n);
	CHECK((size_t) sh.aggregates == n && (size_t) sh.functions == n);
	CHECK((size_t) sh.params == 2 * n && (size_t) sh.in_lists == n);
	CHECK((size_t) sh.predicates == 2 * n);
	CHECK(sh.kind == QPM_KIND_SELECT);
	CHECK(qpm_query_complexity(big, len) == (int) (2 * n - 1));	/* n JOINs + n - 1 SELECTs */
	/* the same text inside one unterminated string: nothing counts */
	big[0] = '\'';
	qpm_query_shape(big, len, &sh);
	CHECK(sh.tokens == 1 && sh.selects == 0);
	/* one open dollar quote at the start of 1 MB of '$': still linear */
	memset(big, '$', len);
	big[1] = 'q';
	qpm_query_shape(big, len, &sh);
	CHECK(sh.tokens >= 1 && sh.params == 0);
	free(big);
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
	RUN(test_shape_counts);
	RUN(test_shape_hidden);
	RUN(test_shape_pending);
	RUN(test_shape_operators);
	RUN(test_shape_kind);
	RUN(test_shape_hostile);
	RUN(test_shape_one_megabyte);
	return unit_report("test_query_complexity");
}
