"""Plugins that ship inside chanx, registered by name before any entry point is loaded.

They use the same hooks as external plugins; `CHANX_DISABLED_PLUGINS` can skip them too.
"""

from __future__ import annotations

BUILTIN_PLUGINS: tuple[str, ...] = ("chanx.builtin.layers", "chanx.builtin.docs")
"""Dotted module paths of the builtin plugins, in registration order."""
