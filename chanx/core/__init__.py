"""Framework-neutral core: decorators, compiled plans, the per-connection runtime."""
