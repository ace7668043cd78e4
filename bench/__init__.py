"""Issue 8 benchmarks: each module measures one path against a bare baseline (`make bench`)."""
