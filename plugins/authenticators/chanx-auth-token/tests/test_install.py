"""The installed distribution, seen through its real entry point in fresh interpreters."""

from __future__ import annotations

from chanx.testing.install_contract import InstalledPluginContract


class TestInstalled(InstalledPluginContract):
    kind = "authenticator"
    name = "token"
    entry_point = "auth-token"
    distribution = "chanx-auth-token"
