"""The installed distribution, seen for real: `chanx plugins`, and the hint once it is gone."""

from __future__ import annotations

from chanx.kernel.install import install_hint
from chanx.testing.install_contract import InstalledPluginContract


class TestInstalled(InstalledPluginContract):
    kind = "formatter"
    name = "msgpack"
    entry_point = "format-msgpack"
    distribution = "chanx-format-msgpack"

    def test_once_uninstalled_the_message_says_how_to_install_it(self) -> None:
        result = self.run_python(self.hide_entry_point() + self.consumer_source())
        assert (
            f"ChatConsumer.formatters = {self.name!r}: no formatter named {self.name!r}: it is "
            f"provided by the {self.distribution} distribution; install it with "
            f"{install_hint(self.name)}."
        ) in result.stderr
