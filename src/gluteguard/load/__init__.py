"""Training load: daily series, the single-run spike, the next-run cap, weekly change, PMC and monotony."""
