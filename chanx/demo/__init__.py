"""The demo chat app that `chanx demo` serves (needs the `demo` extra: FastAPI and uvicorn).

`chanx.demo.app` is the application, `chanx.demo.messages` its protocol and `chanx.demo.cli`
the command. Importing this package imports neither FastAPI nor uvicorn.
"""
