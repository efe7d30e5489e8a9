"""Read and normalise geographic sources for buurtdekking (CBS boundaries, statistics, CRS, reference tables)."""
