"""Fault injection on real processes: a private PostgreSQL, the scale-out stack, and the soak run."""
