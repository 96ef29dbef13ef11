"""A Django project whose ``CHANNEL_LAYERS`` is one of chanx's layers, served by real servers.

It mixes chanx consumers with Django Channels' own (async JSON, async text and sync
consumers), a view and a management command that send to their group, so the tests prove
chanx's layers serve every kind of Channels code, not only chanx's.
"""
