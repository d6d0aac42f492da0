/*
 * xgb_dump.c — the XGBoost text dump parser: a trained booster's trees
 * (XGBoosterDumpModelEx, fmap "", with_stats 1, "text") into a forest.
 *
 * The dump is one string per tree, one node per line, indented by depth
 * with tabs:
 *
 *   0:[f2<0.5] yes=1,no=2,missing=1,gain=123.400002,cover=456
 *   \t1:leaf=0.123,cover=200
 *   \t2:[f0<-1.25e-05] yes=3,no=4,missing=4,gain=7.5,cover=256
 *   \t\t3:leaf=-0.5,cover=56
 *   \t\t4:leaf=0.25,cover=200
 *
 * The statistics (split gain, and cover: the hessian sum of the training
 * rows reaching the node) feed explanations (shap.c) and importance, never
 * the walk.  A dump with with_stats 0 parses to covers and gains of 0; a
 * dump with them on some lines only is refused.
 *
 * Lines come depth first while ids are XGBoost's own (creation order, with
 * gaps if nodes were pruned), so children are looked up by id (sorted
 * records, binary search) and each tree is renumbered in depth-first
 * preorder: root first, every child after its parent, left child right
 * after its parent.  Lines are matched strictly (only tabs before the id,
 * nothing after the last field).  Numbers have 9 significant digits, enough
 * for strtof to give back the exact float; strtof is locale-dependent, but
 * the server runs with LC_NUMERIC=C and a token is accepted only if strtof
 * consumes all of it, so another locale fails loudly.
 *
 * Invariants.  The text is untrusted (fuzzed by test/fuzz/fuzz_xgb_dump.c):
 * the parser never reads past a string's NUL, checks every number for
 * overflow and finiteness, refuses duplicate or missing ids, unreachable
 * nodes, cycles and shared children, and checks sizes against forest.h's
 * limits before it allocates.  Its output then passes qpm_forest_validate
 * (forest.c), the gate a deserialized blob passes.  Scratch buffers are
 * freed before it returns, on every path.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm_util.h"
#include "forest.h"
#include "qpm_alloc.h"

/* Longest number token accepted; XGBoost prints at most ~16 characters. */
#define MAX_NUMBER_CHARS 64

/* One dump line, before renumbering. */
typedef struct DumpNode
{
	int32_t		id;				/* XGBoost's node id */
	int32_t		yes;			/* child ids, -1 for a leaf; once looked */
	int32_t		no;				/* up, positions in the sorted records */
	int32_t		missing;		/* child id; once looked up, 1 = NaN left */
	int32_t		feature;		/* -1 for a leaf */
	float		value;			/* threshold or leaf value */
	float		cover;			/* 0 without statistics */
	float		gain;			/* 0 for a leaf or without statistics */
	bool		has_stats;		/* the line had gain / cover */
	int32_t		line;			/* 1-based, for messages */
	int32_t		index;			/* flat index; UNPLACED / PUSHED until set */
} DumpNode;

#define UNPLACED	(-1)
#define PUSHED		(-2)

/* Scratch buffers shared by all trees of one parse, sized for the largest. */
typedef struct DumpScratch
{
	DumpNode   *recs;
	int32_t    *stack;
	int			stats;			/* lines have statistics: -1 not yet known, 0, 1 */
} DumpScratch;

/* Non-empty lines of a dump string, stopping early once past limit. */
static int32_t
count_lines(const char *s, int32_t limit)
{
	int32_t		n = 0;
	bool		in_line = false;

	for (; *s != '\0'; s++)
	{
		if (*s == '\n')
			in_line = false;
		else if (!in_line)
		{
			in_line = true;
			if (++n > limit)
				break;
		}
	}
	return n;
}

/* Consume literal lit at *p; false (nothing consumed) if it is not there. */
static bool
take_literal(const char **p, const char *lit)
{
	size_t		n = strlen(lit);

	/* strncmp stops at the input's NUL, so this never reads past it */
	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* A non-negative decimal int32 at *p; false when absent or too large. */
static bool
take_uint(const char **p, int32_t *out)
{
	const char *s = *p;
	int64_t		v = 0;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
	{
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return false;
		s++;
	}
	*out = (int32_t) v;
	*p = s;
	return true;
}

/*
 * A finite float at *p.  The token is delimited by the characters a decimal
 * number can contain and copied out, and strtof must use all of it: that
 * rules out "nan", "inf", hex floats and leading blanks, which strtof would
 * otherwise accept.
 */
static bool
take_float(const char **p, float *out)
{
	char		buf[MAX_NUMBER_CHARS + 1];
	const char *s = *p;
	char	   *end;
	size_t		n = 0;
	float		v;

	while (s[n] != '\0' && strchr("0123456789+-.eE", s[n]) != NULL)
	{
		if (n == MAX_NUMBER_CHARS)
			return false;
		n++;
	}
	if (n == 0)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtof(buf, &end);
	if (end != buf + n || !isfinite(v))
		return false;
	*out = v;
	*p = s + n;
	return true;
}

/*
 * Parse one line (starting at *p, not empty) into r and move *p past its
 * newline.  Returns NULL, or what was expected where the line went wrong.
 */
static const char *
parse_line(const char **p, DumpNode *r)
{
	const char *s = *p;

	while (*s == '\t')
		s++;
	r->yes = r->no = r->missing = r->feature = -1;
	r->cover = r->gain = 0.0f;
	r->has_stats = false;
	r->index = UNPLACED;
	if (!take_uint(&s, &r->id))
		return "a node id";
	if (!take_literal(&s, ":"))
		return "':' after the node id";
	if (take_literal(&s, "leaf="))
	{
		if (!take_float(&s, &r->value))
			return "a finite leaf value";
		if (take_literal(&s, ",cover="))
		{
			if (!take_float(&s, &r->cover) || r->cover < 0.0f)
				return "a finite cover >= 0 after \",cover=\"";
			r->has_stats = true;
		}
	}
	else
	{
		if (!take_literal(&s, "[f"))
			return "\"leaf=\" or \"[f\"";
		if (!take_uint(&s, &r->feature))
			return "a feature index after \"[f\"";
		if (!take_literal(&s, "<"))
			return "'<' after the feature";
		if (!take_float(&s, &r->value))
			return "a finite threshold";
		if (!take_literal(&s, "] yes="))
			return "\"] yes=\" after the threshold";
		if (!take_uint(&s, &r->yes))
			return "a node id after \"yes=\"";
		if (!take_literal(&s, ",no="))
			return "\",no=\"";
		if (!take_uint(&s, &r->no))
			return "a node id after \"no=\"";
		if (!take_literal(&s, ",missing="))
			return "\",missing=\"";
		if (!take_uint(&s, &r->missing))
			return "a node id after \"missing=\"";
		if (take_literal(&s, ",gain="))
		{
			if (!take_float(&s, &r->gain))
				return "a finite gain after \",gain=\"";
			if (!take_literal(&s, ",cover="))
				return "\",cover=\" after the gain";
			if (!take_float(&s, &r->cover) || r->cover < 0.0f)
				return "a finite cover >= 0 after \",cover=\"";
			r->has_stats = true;
		}
	}
	if (*s != '\n' && *s != '\0')
		return "the end of the line";
	if (*s == '\n')
		s++;
	*p = s;
	return NULL;
}

/* qsort order of dump records: by node id, then line. */
static int
compare_ids(const void *a, const void *b)
{
	const DumpNode *x = a;
	const DumpNode *y = b;

	/* ties (duplicate ids, refused next) broken by line, for stable messages */
	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->line > y->line) - (x->line < y->line);
}

/* Record with node id in recs sorted by id, or NULL. */
static DumpNode *
find_id(DumpNode *recs, int32_t n, int32_t id)
{
	int32_t		lo = 0;
	int32_t		hi = n;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (recs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && recs[lo].id == id) ? &recs[lo] : NULL;
}

/*
 * Mark a child for placement and push it, refusing one already met (the
 * dump then has a cycle, or two parents share the child).
 */
static bool
push_child(DumpNode *recs, int32_t child, int32_t *stack, int32_t *top)
{
	if (recs[child].index != UNPLACED)
		return false;
	recs[child].index = PUSHED;
	stack[(*top)++] = child;
	return true;
}

/*
 * Parse tree number t (n_lines non-empty lines, counted beforehand) into
 * out[0 .. n_lines).  Returns 0, or -1 with err filled.
 */
static int
parse_tree(const char *text, int32_t t, int32_t n_lines, int32_t n_features,
		   DumpScratch *scratch, QpmTreeNode *out, char *err, size_t errlen)
{
	DumpNode   *recs = scratch->recs;
	int32_t    *stack = scratch->stack;
	const char *p = text;
	int32_t		line = 0;
	int32_t		n = 0;
	int32_t		top = 0;
	int32_t		next = 0;
	int32_t		i;
	int32_t		bad;
	DumpNode   *root;

	/* lines, into records in dump order */
	while (*p != '\0')
	{
		const char *what;

		line++;
		if (*p == '\n')
		{
			p++;
			continue;
		}
		if (n >= n_lines)		/* cannot happen: n_lines counted the same way */
		{
			qpm_set_error(err, errlen, "tree %d: more lines than counted", t);
			return -1;
		}
		recs[n].line = line;
		what = parse_line(&p, &recs[n]);
		if (what != NULL)
		{
			qpm_set_error(err, errlen, "tree %d line %d: expected %s", t, line, what);
			return -1;
		}
		if (scratch->stats < 0)
			scratch->stats = recs[n].has_stats;
		else if (scratch->stats != (int) recs[n].has_stats)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: statistics (gain, cover) on some lines only",
					  t, line);
			return -1;
		}
		if (recs[n].feature >= n_features)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: feature f%d out of range (%d features)",
					  t, line, recs[n].feature, n_features);
			return -1;
		}
		if (recs[n].yes >= 0 &&
			recs[n].missing != recs[n].yes && recs[n].missing != recs[n].no)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: missing=%d is neither yes=%d nor no=%d",
					  t, line, recs[n].missing, recs[n].yes, recs[n].no);
			return -1;
		}
		n++;
	}
	if (n != n_lines)
	{
		qpm_set_error(err, errlen, "tree %d: fewer lines than counted", t);
		return -1;
	}

	/* ids: sorted for lookup, unique */
	qsort(recs, (size_t) n, sizeof(DumpNode), compare_ids);
	for (i = 1; i < n; i++)
	{
		if (recs[i].id == recs[i - 1].id)
		{
			qpm_set_error(err, errlen, "tree %d: node id %d appears twice (lines %d and %d)",
					  t, recs[i].id, recs[i - 1].line, recs[i].line);
			return -1;
		}
	}
	/* children ids to record positions, so the walk below needs no lookups */
	for (i = 0; i < n; i++)
	{
		DumpNode   *yes;
		DumpNode   *no;

		if (recs[i].yes < 0)
			continue;
		yes = find_id(recs, n, recs[i].yes);
		no = find_id(recs, n, recs[i].no);
		if (yes == NULL || no == NULL)
		{
			qpm_set_error(err, errlen, "tree %d line %d: child node %d does not exist",
					  t, recs[i].line, yes == NULL ? recs[i].yes : recs[i].no);
			return -1;
		}
		recs[i].missing = (recs[i].missing == recs[i].yes) ? 1 : 0;
		recs[i].yes = (int32_t) (yes - recs);
		recs[i].no = (int32_t) (no - recs);
	}

	/* depth-first preorder from node 0: left pushed last, so placed next */
	root = find_id(recs, n, 0);
	if (root == NULL)
	{
		qpm_set_error(err, errlen, "tree %d has no node 0 (the root)", t);
		return -1;
	}
	push_child(recs, (int32_t) (root - recs), stack, &top);
	while (top > 0)
	{
		DumpNode   *r = &recs[stack[--top]];

		r->index = next++;
		if (r->yes < 0)
			continue;
		bad = !push_child(recs, r->no, stack, &top) ? r->no :
			!push_child(recs, r->yes, stack, &top) ? r->yes : -1;
		if (bad >= 0)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: node %d is reached twice (a cycle or a shared child)",
					  t, r->line, recs[bad].id);
			return -1;
		}
	}
	if (next != n)
	{
		for (i = 0; i < n; i++)
			if (recs[i].index == UNPLACED)
				break;
		qpm_set_error(err, errlen, "tree %d line %d: node %d is not reachable from node 0",
				  t, recs[i].line, recs[i].id);
		return -1;
	}

	for (i = 0; i < n; i++)
	{
		const DumpNode *r = &recs[i];
		QpmTreeNode *o = &out[r->index];

		o->value = r->value;
		o->cover = r->cover;
		o->gain = r->gain;
		if (r->yes < 0)
		{
			o->left = o->right = o->feature = -1;
			o->default_left = 0;
		}
		else
		{
			o->left = recs[r->yes].index;
			o->right = recs[r->no].index;
			o->feature = r->feature;
			o->default_left = (uint8_t) r->missing;
		}
	}
	return 0;
}

/*
 * Count first (sizes checked before anything is allocated), then parse
 * tree by tree into the forest, then validate the result.
 */
QpmForest *
qpm_forest_from_xgb_dump(const char *const *trees, int32_t n_trees,
						 int32_t n_features, float base_score,
						 char *err, size_t errlen)
{
	QpmForest  *f;
	DumpScratch scratch;
	int32_t		total = 0;
	int32_t		max_lines = 0;
	int32_t		t;

	if (trees == NULL)
	{
		qpm_set_error(err, errlen, "no dump");
		return NULL;
	}
	if (n_trees < 1 || n_trees > QPM_FOREST_MAX_TREES)
	{
		qpm_set_error(err, errlen, "dump has %d trees, need 1 to %d",
				  n_trees, QPM_FOREST_MAX_TREES);
		return NULL;
	}
	if (n_features < 1)
	{
		qpm_set_error(err, errlen, "forest needs at least one feature, got %d",
				  n_features);
		return NULL;
	}
	if (!isfinite(base_score))
	{
		qpm_set_error(err, errlen, "base score %g is not finite", (double) base_score);
		return NULL;
	}
	for (t = 0; t < n_trees; t++)
	{
		int32_t		lines;

		if (trees[t] == NULL)
		{
			qpm_set_error(err, errlen, "tree %d is missing", t);
			return NULL;
		}
		lines = count_lines(trees[t], QPM_FOREST_MAX_TREE_NODES);
		if (lines == 0)
		{
			qpm_set_error(err, errlen, "tree %d is empty", t);
			return NULL;
		}
		if (lines > QPM_FOREST_MAX_TREE_NODES)
		{
			qpm_set_error(err, errlen, "tree %d has more than %d nodes",
					  t, QPM_FOREST_MAX_TREE_NODES);
			return NULL;
		}
		if (lines > QPM_FOREST_MAX_NODES - total)
		{
			qpm_set_error(err, errlen, "dump has more than %d nodes",
					  QPM_FOREST_MAX_NODES);
			return NULL;
		}
		total += lines;
		if (lines > max_lines)
			max_lines = lines;
	}

	f = qpm_forest_alloc(n_trees, total, n_features);
	f->base_score = base_score;
	scratch.recs = qpm_alloc(sizeof(DumpNode) * (size_t) max_lines);
	scratch.stack = qpm_alloc(sizeof(int32_t) * (size_t) max_lines);
	scratch.stats = -1;
	total = 0;
	for (t = 0; t < n_trees; t++)
	{
		int32_t		lines = count_lines(trees[t], QPM_FOREST_MAX_TREE_NODES);

		f->tree_offset[t] = total;
		if (parse_tree(trees[t], t, lines, n_features, &scratch,
					   f->nodes + total, err, errlen) != 0)
			break;
		total += lines;
	}
	f->tree_offset[t] = total;
	qpm_free(scratch.recs);
	qpm_free(scratch.stack);

	/* the parser's own output must pass the gate the blob reader uses */
	if (t < n_trees || qpm_forest_validate(f, err, errlen) != 0)
	{
		qpm_forest_free(f);
		return NULL;
	}
	return f;
}
