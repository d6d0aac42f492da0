/*
 * query_complexity.h — the shape of a SQL text: keyword, operator and
 * parameter counts from one tokenizing pass (feature 12 of pgss/1, and the
 * text features of pgss/2).
 */
#ifndef QPM_QUERY_COMPLEXITY_H
#define QPM_QUERY_COMPLEXITY_H

#include <stddef.h>

/* The statement's kind, from its first keyword (after a WITH clause). */
typedef enum QpmStatementKind
{
	QPM_KIND_OTHER = 0,			/* utility statements, EXPLAIN, empty text */
	QPM_KIND_SELECT,			/* also VALUES and TABLE */
	QPM_KIND_INSERT,
	QPM_KIND_UPDATE,
	QPM_KIND_DELETE,
	QPM_KIND_MERGE
} QpmStatementKind;

/*
 * Counts over the text, case-insensitive for keywords and outside quoted
 * strings, quoted identifiers, dollar-quoted strings and comments.  Every
 * count saturates at INT_MAX.
 */
typedef struct QpmQueryShape
{
	int			tokens;			/* words, numbers, strings, parameters, operators, punctuation */
	int			selects;		/* SELECT keywords */
	int			joins;			/* JOIN */
	int			group_bys;		/* GROUP BY */
	int			order_bys;		/* ORDER BY (also inside OVER and WITHIN GROUP) */
	int			distincts;		/* DISTINCT (also IS DISTINCT FROM) */
	int			set_ops;		/* UNION, INTERSECT, EXCEPT */
	int			windows;		/* OVER */
	int			functions;		/* calls: a name other than a keyword followed by "(" */
	int			aggregates;		/* count(, sum(, avg(, min(, max(, ..._agg( and the like */
	int			limits;			/* LIMIT, FETCH */
	int			ctes;			/* AS ( and AS [NOT] MATERIALIZED ( */
	int			predicates;		/* comparisons, pattern matches, BETWEEN, IN, IS, EXISTS */
	int			pattern_matches;	/* LIKE, ILIKE, SIMILAR, ~ ~* !~ !~* ~~ ~~* !~~ !~~* */
	int			in_lists;		/* IN ( */
	int			params;			/* $1, $2, ... */
	QpmStatementKind kind;
} QpmQueryShape;

/*
 * Tokenize text once and fill *shape.  Works on any bytes: never reads past
 * len, treats NUL as an ordinary byte, lets unterminated quotes and
 * comments run to the end; NULL text gives all zeros and QPM_KIND_OTHER.
 */
void		qpm_query_shape(const char *text, size_t len, QpmQueryShape *shape);

/*
 * Feature 12 of pgss/1: JOIN + GROUP BY + ORDER BY + DISTINCT + UNION /
 * INTERSECT / EXCEPT + OVER + the SELECT keywords beyond the first, from
 * the same pass (saturating at INT_MAX).
 */
int			qpm_query_complexity(const char *text, size_t len);
/* The same count from a shape already computed (pgss/2 tokenizes once). */
int			qpm_query_complexity_of_shape(const QpmQueryShape *shape);

#endif
