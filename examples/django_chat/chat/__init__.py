"""The chat app: rooms, messages, consumers, a view, a task and a management command."""
