"""Cache breakpoint transforms: ``src/api/transform/caching/*.ts``."""
