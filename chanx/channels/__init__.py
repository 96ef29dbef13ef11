"""Django Channels adapter: consumers, the `chanx.channels` Django app, settings and routing.

Add ``"chanx.channels"`` to ``INSTALLED_APPS``, write consumers with
`chanx.channels.websocket.AsyncJsonWebsocketConsumer`, and mount them with Channels'
``URLRouter`` and ``as_asgi()``. Defaults for every consumer live in one ``CHANX = {...}``
settings dict (see `chanx.channels.settings`).
"""
