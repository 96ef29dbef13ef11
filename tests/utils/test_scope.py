from __future__ import annotations

from types import SimpleNamespace

import pytest

from chanx.utils.scope import path_param, path_params, query_param, query_params, scope_user


def test_path_params_come_from_django_or_starlette_scopes() -> None:
    django = {"url_route": {"args": (), "kwargs": {"room": "blue"}}}
    starlette = {"path_params": {"room": "red"}}
    assert path_params(django) == {"room": "blue"}
    assert path_param(starlette, "room") == "red"
    assert path_params({}) == {}


def test_a_missing_path_param_is_an_error_unless_a_default_is_given() -> None:
    with pytest.raises(KeyError, match=r"no path parameter 'pk'.*captured: room"):
        path_param({"path_params": {"room": "x"}}, "pk")
    assert path_param({}, "pk", None) is None


def test_query_params_keep_every_value() -> None:
    scope = {"query_string": b"tag=a&tag=b&q=%C3%A9"}
    assert query_params(scope) == {"tag": ["a", "b"], "q": ["é"]}
    assert query_param(scope, "tag") == "a"
    assert query_param(scope, "none", "d") == "d"
    assert query_params({}) == {}


def test_scope_user_is_none_for_anonymous_users() -> None:
    user = SimpleNamespace(is_authenticated=True)
    assert scope_user({"user": user}) is user
    assert scope_user({"user": SimpleNamespace(is_authenticated=False)}) is None
    assert scope_user({}) is None
