"""Files → activities: pure parsers for FIT, GPX, TCX and the exports that carry them."""
