/* app=billing,route='/join' */ SELECT x /* outer /* nested JOIN */ still comment */ FROM t GROUP /* between */ BY x ORDER -- line
BY x