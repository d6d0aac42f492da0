/* query_perf_ml--1.1--1.2.sql — upgrade from 1.1; CREATE EXTENSION runs 1.0, 1.0--1.1, then this. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION query_perf_ml UPDATE TO '1.2'" to load this file. \quit
