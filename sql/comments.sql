-- comments: every object of the extension's schema explains itself in psql.
-- Lists what has no COMMENT (expected: nothing), so a new function, table,
-- view or type without one fails here.
SELECT 'function ' || p.oid::regprocedure AS undocumented
  FROM pg_proc p
 WHERE p.pronamespace = 'query_perf_ml'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'c' THEN 'type ' ELSE 'table ' END || c.oid::regclass
  FROM pg_class c
 WHERE c.relnamespace = 'query_perf_ml'::regnamespace AND c.relkind IN ('r', 'v', 'c', 'p', 'm', 'f')
   AND obj_description(c.oid, 'pg_class') IS NULL
   AND (c.relkind <> 'c' OR obj_description(c.reltype, 'pg_type') IS NULL)
UNION ALL
SELECT 'schema query_perf_ml'
 WHERE obj_description('query_perf_ml'::regnamespace, 'pg_namespace') IS NULL
ORDER BY 1;
