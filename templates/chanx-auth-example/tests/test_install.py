"""Installed, the distribution is found through its entry point (fresh interpreters)."""

from __future__ import annotations

from chanx.testing.install_contract import InstalledPluginContract


class TestInstalled(InstalledPluginContract):
    kind = "authenticator"
    name = "example"
    entry_point = "auth-example"
    distribution = "chanx-auth-example"
