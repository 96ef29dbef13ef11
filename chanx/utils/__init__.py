"""Helpers consumers commonly need: safe group names and portable scope access.

- `chanx.utils.groups.safe_group_name`: a group name every channel layer accepts.
- `chanx.utils.scope`: path and query parameters and the user, on Django and Starlette alike.

These are the import paths upstream chanx uses, so code written for it runs unchanged.
"""

from chanx.utils.groups import MAX_GROUP_NAME_LENGTH, safe_group_name
from chanx.utils.scope import path_param, path_params, query_param, query_params, scope_user

__all__ = [
    "MAX_GROUP_NAME_LENGTH",
    "path_param",
    "path_params",
    "query_param",
    "query_params",
    "safe_group_name",
    "scope_user",
]
