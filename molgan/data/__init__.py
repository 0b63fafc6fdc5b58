"""Files and data sets: readers, writers, bundled and cached data sets, atomic writes, per-step CSV logs."""
