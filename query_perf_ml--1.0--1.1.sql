/* query_perf_ml--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION query_perf_ml UPDATE TO '1.1'" to load this file. \quit

-- 1.0 is released: it is never edited again.  Everything new goes here, and
-- CREATE EXTENSION runs 1.0 then this script (the pg_stat_statements way),
-- so fresh installs and upgraded ones are the same by construction.

--
-- Workload history: snapshots of pg_stat_statements and interval deltas.
--

--
-- Prediction log, accuracy tracking, anomalies.
--

--
-- Background worker and asynchronous training.
--
