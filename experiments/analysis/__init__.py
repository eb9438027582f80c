"""Analysis: what the runs say -- statistics, comparisons, budget matching, sensitivity, optimization, validation."""
