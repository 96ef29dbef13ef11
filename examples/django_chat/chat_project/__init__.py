"""A small Django Channels project using chanx: room chat guarded by DRF permissions."""
