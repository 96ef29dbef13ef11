"""The runtime of topics: envelope, per-consumer plan, per-connection session, presence.

The public API is `chanx.core.topic.Topic` and the messages in `chanx.messages.topic`.
"""
