"""`InstalledPluginContract`: tests that an installed plugin distribution is seen for real.

Subclass it in a plugin's own tests (pytest collects the subclass):

```python
class TestInstalled(InstalledPluginContract):
    kind = "formatter"
    name = "camelize"
    entry_point = "format-camelize"
    distribution = "chanx-format-camelize"
```

Each test runs a fresh Python process, so discovery goes through the real entry points of the
environment: `chanx plugins --json` lists the distribution with its version; a consumer that
selects the component by name is created; with the entry point hidden (as if uninstalled) or
disabled with `CHANX_DISABLED_PLUGINS`, creating that consumer fails with a message naming
the distribution. (Uninstalled, only a first-party distribution can be named: chanx does not
know which names a third-party plugin it cannot see would provide.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import ClassVar

__all__ = ["InstalledPluginContract"]

_USES = {
    "formatter": "    formatters = ({name!r},)\n",
    "authenticator": "    authenticator_class = {name!r}\n",
    "observer": "    observers = ({name!r},)\n",
}
_CONSUMER = (
    "from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer\n\n"
    "class ChatConsumer(AsyncJsonWebsocketConsumer):\n"
)
# A doc emitter is not selected by a consumer class: it is asked for by name, as the CLI does.
_EMITTER = "from chanx.asyncapi import get_emitter\n\nget_emitter({name!r})\n"


class InstalledPluginContract:
    """Base class of the install tests of one plugin distribution (see the module docstring).

    Attributes:
        kind: `"formatter"`, `"authenticator"` or `"observer"` (the component selected on a
            consumer class), or `"doc emitter"` (asked for by name with
            `chanx.asyncapi.get_emitter`).
        name: The component's registered name.
        entry_point: The entry-point name in group `chanx`.
        distribution: The distribution's name.
    """

    kind: ClassVar[str]
    name: ClassVar[str]
    entry_point: ClassVar[str]
    distribution: ClassVar[str]

    def consumer_source(self) -> str:
        """Python source that needs the component by name (a consumer class selecting it)."""
        if self.kind == "doc emitter":
            return _EMITTER.format(name=self.name)
        return _CONSUMER + _USES[self.kind].format(name=self.name)

    def hide_entry_point(self) -> str:
        """Python source that makes `importlib.metadata` forget this plugin's entry point."""
        return (
            "import importlib.metadata as metadata\n"
            "real = metadata.entry_points\n"
            "def entry_points(**kwargs):\n"
            "    return metadata.EntryPoints(\n"
            f"        e for e in real(**kwargs) if e.name != {self.entry_point!r}\n"
            "    )\n"
            "metadata.entry_points = entry_points\n"
        )

    def run_python(self, code: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run `code` in a fresh interpreter, without the caller's CHANX_* switches."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CHANX_")}
        return subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**environ, **env},
            timeout=120,
            check=False,
        )

    def test_chanx_plugins_lists_the_distribution_and_version(self) -> None:
        from importlib.metadata import version

        result = self.run_python("from chanx.cli import main; main(['plugins', '--json'])")
        assert result.returncode == 0, result.stderr
        record = {r["name"]: r for r in json.loads(result.stdout)}[self.entry_point]
        assert (record["distribution"], record["version"]) == (
            self.distribution,
            version(self.distribution),
        )
        assert (record["status"], record["provides"]) == ("loaded", {self.kind: [self.name]})

    def test_a_consumer_that_needs_it_is_created_while_installed(self) -> None:
        result = self.run_python(self.consumer_source())
        assert result.returncode == 0, result.stderr

    def test_once_uninstalled_class_creation_fails_naming_the_distribution(self) -> None:
        from chanx.kernel.registry import first_party_component

        result = self.run_python(self.hide_entry_point() + self.consumer_source())
        assert result.returncode == 1
        assert f"no {self.kind} named {self.name!r}" in result.stderr
        if first_party_component(self.kind, self.name) is not None:
            assert self.distribution in result.stderr
        else:
            assert "chanx plugins" in result.stderr

    def test_disabled_it_fails_at_class_creation_naming_the_switch(self) -> None:
        result = self.run_python(self.consumer_source(), CHANX_DISABLED_PLUGINS=self.entry_point)
        assert result.returncode == 1
        assert "CHANX_DISABLED_PLUGINS" in result.stderr
        assert self.distribution in result.stderr
