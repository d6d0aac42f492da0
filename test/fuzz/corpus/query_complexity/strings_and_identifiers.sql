SELECT 'it''s a JOIN', E'esc\' JOIN', "weird ""order"" col", U&'d\0061t' FROM t -- trailing JOIN
UNION ALL SELECT $1, $2, $3