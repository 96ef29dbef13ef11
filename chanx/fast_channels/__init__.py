"""Starlette / FastAPI adapter: install chanx with its `starlette` or `fastapi` extra."""

from chanx.kernel.install import require_modules as _require_modules

_require_modules("chanx.fast_channels", ("starlette",), "starlette")
