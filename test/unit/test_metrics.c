/*
 * test_metrics.c — metrics, splits, the bounded dataset, and the policy
 * that compares two models by their metrics.
 */
#include <stdlib.h>

#include "dataset.h"
#include "metrics.h"
#include "policy.h"
#include "split.h"
#include "unit.h"

static void
test_q_error(void)
{
	CHECK_NEAR(qpm_q_error(10, 5), 2, 0);
	CHECK_NEAR(qpm_q_error(5, 10), 2, 0);
	CHECK_NEAR(qpm_q_error(3, 3), 1, 0);
}

/* Hand-computed metrics of three predictions. */
static void
test_metrics_small(void)
{
	QpmMetricsAcc acc;
	QpmMetrics m;
	double		sst,
				sse,
				mean;

	qpm_metrics_init(&acc, 100, 1);
	qpm_metrics_add(&acc, 1.0, 2.0, 0.5, 3.0);	/* q 2, covered */
	qpm_metrics_add(&acc, 4.0, 4.0, 5.0, 6.0);	/* q 1, not covered */
	qpm_metrics_add(&acc, 8.0, 2.0, 1.0, 8.0);	/* q 4, covered (bound inclusive) */
	qpm_metrics_finish(&acc, &m);
	CHECK(m.n == 3);
	CHECK_NEAR(m.mae_ms, (1 + 0 + 6) / 3.0, 1e-12);
	CHECK_NEAR(m.rmse_ms, sqrt((1 + 0 + 36) / 3.0), 1e-12);
	CHECK_NEAR(m.median_q_error, 2, 1e-12);
	CHECK_NEAR(m.p90_q_error, 2 + 0.8 * 2, 1e-12);
	CHECK_NEAR(m.interval_coverage, 2.0 / 3.0, 1e-12);
	mean = (log(1) + log(4) + log(8)) / 3;
	sst = pow(log(1) - mean, 2) + pow(log(4) - mean, 2) + pow(log(8) - mean, 2);
	sse = pow(log(1) - log(2), 2) + 0 + pow(log(8) - log(2), 2);
	CHECK_NEAR(m.r2, 1 - sse / sst, 1e-12);
	qpm_metrics_free(&acc);
}

/* No rows: everything undefined; one row: r2 undefined. */
static void
test_metrics_degenerate(void)
{
	QpmMetricsAcc acc;
	QpmMetrics m;

	qpm_metrics_init(&acc, 10, 1);
	qpm_metrics_finish(&acc, &m);
	CHECK(m.n == 0 && isnan(m.r2) && isnan(m.median_q_error) && isnan(m.interval_coverage));
	qpm_metrics_add(&acc, 2, 2, 1, 3);
	qpm_metrics_finish(&acc, &m);
	CHECK(m.n == 1 && isnan(m.r2));
	CHECK_NEAR(m.median_q_error, 1, 0);
	qpm_metrics_free(&acc);
}

/* Beyond cap the reservoir keeps quantiles close to the truth. */
static void
test_metrics_reservoir(void)
{
	QpmMetricsAcc acc;
	QpmMetrics m;
	int			i;

	qpm_metrics_init(&acc, 2000, 5);
	for (i = 0; i < 100000; i++)
		qpm_metrics_add(&acc, 1.0, 1.0 + (double) (i % 1000) / 1000.0, 0, 10);
	qpm_metrics_finish(&acc, &m);
	CHECK(acc.qerr_n == 2000);
	CHECK(m.n == 100000);
	CHECK_NEAR(m.median_q_error, 1.5, 0.03);
	CHECK_NEAR(m.p90_q_error, 1.9, 0.03);
	qpm_metrics_free(&acc);
}

/* The split is deterministic, seeded and close to the asked fraction. */
static void
test_split(void)
{
	int			n_test = 0,
				same = 0,
				counts[5] = {0};
	int64_t		q;

	for (q = 1; q <= 100000; q++)
	{
		n_test += qpm_split_is_test(q * 7919, 42, 0.2);
		same += qpm_split_is_test(q * 7919, 42, 0.2) == qpm_split_is_test(q * 7919, 43, 0.2);
		counts[qpm_split_fold(q, 42, 5)]++;
	}
	CHECK(n_test > 19000 && n_test < 21000);
	CHECK(same < 75000);		/* another seed gives another split */
	CHECK(qpm_split_is_test(12345, 1, 0.3) == qpm_split_is_test(12345, 1, 0.3));
	CHECK(qpm_split_is_test(12345, 1, 0.0) == 0);
	for (q = 0; q < 5; q++)
		CHECK(counts[q] > 19000 && counts[q] < 21000);
}

/* The dataset appends up to cap, then samples uniformly. */
static void
test_dataset(void)
{
	QpmDataset d;
	double		x[2];
	int			i;
	long		sum = 0;

	qpm_dataset_init(&d, 2, 1000, 9);
	CHECK(qpm_dataset_row_bytes(2) == 33);	/* 2 features, y, queryid, held-out flag */
	for (i = 0; i < 500; i++)
	{
		x[0] = i;
		x[1] = -i;
		qpm_dataset_add(&d, x, (double) i, i);
	}
	CHECK(d.n == 500);
	CHECK_NEAR(d.X[2 * 499], 499, 0);
	CHECK_NEAR(d.X[2 * 499 + 1], -499, 0);
	for (i = 500; i < 100000; i++)
	{
		x[0] = i;
		x[1] = -i;
		qpm_dataset_add(&d, x, (double) i, i);
	}
	CHECK(d.n == 1000);
	CHECK(d.seen == 100000);
	for (i = 0; i < 1000; i++)
	{
		sum += d.queryid[i];
		CHECK(d.X[2 * i] == (double) d.queryid[i] && d.y[i] == (double) d.queryid[i]);
	}
	/* uniform sample of 0..99999 has mean ~50000 (sd of mean ~900) */
	CHECK(sum / 1000 > 45000 && sum / 1000 < 55000);
	qpm_dataset_free(&d);
}

/* Lower held-out median q-error wins; NaN never wins and always loses; ties keep. */
static void
test_policy(void)
{
	CHECK(qpm_policy_better(1.2, 1.3));
	CHECK(!qpm_policy_better(1.3, 1.2));
	CHECK(!qpm_policy_better(1.2, 1.2));
	CHECK(qpm_policy_better(1.5, NAN));
	CHECK(!qpm_policy_better(NAN, 1.5));
	CHECK(!qpm_policy_better(NAN, NAN));
}

int
main(void)
{
	RUN(test_q_error);
	RUN(test_metrics_small);
	RUN(test_metrics_degenerate);
	RUN(test_metrics_reservoir);
	RUN(test_split);
	RUN(test_dataset);
	RUN(test_policy);
	return unit_report("test_metrics");
}
