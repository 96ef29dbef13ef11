"""The runtime copied into every generated TypeScript client."""
