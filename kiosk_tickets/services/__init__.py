"""Domain rules, independent of HTTP: each function takes an open store transaction and, where time matters, `now`."""
