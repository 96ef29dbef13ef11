"""Message models: the typed frames exchanged with clients and through the channel layer."""
