SELECT a=-1, b<=+2, c<>-$1, d ~~* $2, e ->> $3, f @> g, h=--x
1, i=/*c*/2, j IS NOT DISTINCT FROM k, l NOT LIKE m, n SIMILAR TO o