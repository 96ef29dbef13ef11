"""The installed distribution, seen for real: `chanx plugins`, and the hint once it is gone."""

from __future__ import annotations

from chanx.testing.install_contract import InstalledPluginContract


class TestInstalled(InstalledPluginContract):
    kind = "doc emitter"
    name = "python-client"
    entry_point = "docs-python-client"
    distribution = "chanx-docs-python-client"
