"""Design: what to run -- the spec schema, the designs (grid, LHS, Sobol, Morris), seeds, model adapters."""
