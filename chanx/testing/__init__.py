"""Test helpers for chanx applications and plugins."""
