"""Starlette / FastAPI adapter (`pip install "chanx[starlette]"` or `"chanx[fastapi]"`)."""
