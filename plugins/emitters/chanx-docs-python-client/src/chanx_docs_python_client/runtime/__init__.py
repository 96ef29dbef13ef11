"""The runtime copied into every generated Python client package."""
