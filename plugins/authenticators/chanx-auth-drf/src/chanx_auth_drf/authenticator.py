"""`DjangoAuthenticator`: Django REST framework authentication and permissions for a socket.

```python
class ChatAuthenticator(DjangoAuthenticator):
    permission_classes = [IsAuthenticated]
    queryset = ChatRoom.objects.all()      # optional: object from the URL kwargs
    obj: ChatRoom
```

The handshake is turned into a Django ``GET`` request (headers, cookies, query string, the
session and user that Channels' ``AuthMiddlewareStack`` put in the scope) and run through
DRF exactly as an ``APIView`` would: authentication classes, ``check_permissions``, the
object lookup and ``check_object_permissions``. All of it runs in one
`database_sync_to_async` call. Outcomes and close codes:

| outcome                                               | close code | frame status |
|-------------------------------------------------------|------------|--------------|
| accepted                                              | (open)     | 200          |
| ``NotAuthenticated`` / ``AuthenticationFailed``       | 4401       | 401          |
| ``PermissionDenied``                                  | 4403       | 403          |
| ``Http404`` / ``NotFound`` / ``DoesNotExist``         | 4404       | 404          |
| another DRF ``APIException`` with a 4xx status        | 4000+status| status       |
| any other exception (traceback logged server-side)    | 1011       | 500          |

The frame is sent first when the consumer sets ``send_authentication_message = True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, QueryDict
from rest_framework import exceptions
from rest_framework.generics import get_object_or_404
from rest_framework.views import APIView

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode

__all__ = ["DjangoAuthenticator"]


class DjangoAuthenticator(BaseAuthenticator):
    """Authenticate a WebSocket handshake with Django REST framework.

    Attributes:
        permission_classes: DRF permission classes; ``None`` uses DRF's
            ``DEFAULT_PERMISSION_CLASSES``.
        authentication_classes: DRF authentication classes; ``None`` uses DRF's
            ``DEFAULT_AUTHENTICATION_CLASSES`` (session and basic by default).
        queryset: When set, the object named by the URL kwargs is looked up in it, exposed as
            `obj` and checked with ``check_object_permissions``.
        lookup_field: Model field used for the lookup.
        lookup_url_kwarg: URL kwarg holding the lookup value (defaults to `lookup_field`).
        user: The authenticated user (``AnonymousUser`` when anonymous access is allowed).
        obj: The looked-up object, or None without a `queryset`.
        request: The DRF ``Request`` built from the handshake.
        uses_cookies: Whether the session cookie can authenticate (``SessionAuthentication``
            among the authentication classes); then chanx refuses handshakes without a
            same-origin or allowed ``Origin`` (cross-site WebSocket hijacking). Derived from
            `authentication_classes` unless a subclass sets it.
    """

    permission_classes: Sequence[Any] | None = None
    authentication_classes: Sequence[Any] | None = None
    queryset: Any = None
    lookup_field: str = "pk"
    lookup_url_kwarg: str | None = None
    uses_cookies: ClassVar[bool] = True

    obj: Any = None
    request: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "uses_cookies" not in cls.__dict__:
            cls.uses_cookies = _reads_session(cls.authentication_classes)

    async def authenticate(self) -> bool:
        """Run DRF's checks in one thread-pool hop; raise `AuthenticationFailed` to refuse."""
        await database_sync_to_async(self._check)()
        return True

    # -- the synchronous part, in the thread pool ---------------------------------------------

    def _check(self) -> None:
        view = self._make_view()
        try:
            request = view.initialize_request(self._http_request())
            view.request = request
            view.perform_authentication(request)
            self.user = request.user
            self.request = request
            view.check_permissions(request)
            if self.queryset is not None:
                self.obj = self.get_object()
                view.check_object_permissions(request, self.obj)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed) as exc:
            raise AuthenticationFailed(CloseCode.UNAUTHENTICATED, _detail(exc), 401) from exc
        except exceptions.PermissionDenied as exc:
            raise AuthenticationFailed(CloseCode.FORBIDDEN, _detail(exc), 403) from exc
        except (Http404, exceptions.NotFound, ObjectDoesNotExist) as exc:
            raise AuthenticationFailed(CloseCode.NOT_FOUND, "Not found.", 404) from exc
        except exceptions.APIException as exc:
            status = int(exc.status_code)
            if not 400 <= status < 500:
                raise
            raise AuthenticationFailed(4000 + status, _detail(exc), status) from exc

    def get_object(self) -> Any:
        """The object of `queryset` named by the URL kwargs (raises ``Http404``)."""
        kwarg = self.lookup_url_kwarg or self.lookup_field
        kwargs = self.url_kwargs
        if kwarg not in kwargs:
            raise LookupError(
                f"{type(self).__qualname__}: the URL has no kwarg {kwarg!r} to look the object "
                f"up by (it has {sorted(kwargs)}). Add <{kwarg}> to the route, or set "
                f"lookup_url_kwarg."
            )
        queryset = self.queryset.all()
        return get_object_or_404(queryset, **{self.lookup_field: kwargs[kwarg]})

    @property
    def url_kwargs(self) -> dict[str, Any]:
        """The route's kwargs (Channels' ``url_route``, or Starlette-style ``path_params``)."""
        route = self.scope.get("url_route")
        if route is not None:
            return dict(route.get("kwargs", {}))
        return dict(self.scope.get("path_params", {}))

    def _make_view(self) -> APIView:
        view = APIView()
        if self.permission_classes is not None:
            view.permission_classes = list(self.permission_classes)
        if self.authentication_classes is not None:
            view.authentication_classes = list(self.authentication_classes)
        view.args = ()
        view.kwargs = self.url_kwargs
        view.format_kwarg = None
        view.headers = {}
        return view

    def _http_request(self) -> HttpRequest:
        """A Django ``GET`` request carrying the handshake's headers, cookies and user."""
        request = HttpRequest()
        request.method = "GET"
        request.path = request.path_info = str(self.scope.get("path", "/"))
        query = self.scope.get("query_string", b"")
        request.META["QUERY_STRING"] = query.decode("latin-1")
        request.GET = QueryDict(query)
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = f"HTTP_{key}"
            request.META[key] = value
        client = self.scope.get("client")
        if client:
            request.META["REMOTE_ADDR"] = client[0]
        server = self.scope.get("server")
        if server:
            request.META["SERVER_NAME"], request.META["SERVER_PORT"] = server[0], str(server[1])
        request.COOKIES = dict(self.cookies)
        self._attach_session_and_user(request)
        return request

    def _attach_session_and_user(self, request: HttpRequest) -> None:
        """Use the scope's session/user (``AuthMiddlewareStack``), else the session cookie."""
        from django.contrib.auth.models import AnonymousUser

        if "session" in self.scope:
            request.session = self.scope["session"]
        elif settings.SESSION_COOKIE_NAME in request.COOKIES and _installed("sessions"):
            engine = import_module(settings.SESSION_ENGINE)
            request.session = engine.SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME])
        if "user" in self.scope:
            user = self.scope["user"]
        elif hasattr(request, "session") and _installed("auth"):
            from django.contrib.auth import get_user

            user = get_user(request)
        else:
            user = AnonymousUser()
        request.user = user
        request._dont_enforce_csrf_checks = True  # GET handshake; origins: the ASGI stack's job


def _reads_session(classes: Sequence[Any] | None) -> bool:
    """Whether these authentication classes (None: DRF's defaults) read the session cookie."""
    from rest_framework.authentication import SessionAuthentication

    if classes is None:
        if not settings.configured:
            return True
        from rest_framework.settings import api_settings

        classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    return any(isinstance(c, type) and issubclass(c, SessionAuthentication) for c in classes)


def _installed(app: str) -> bool:
    from django.apps import apps

    return bool(apps.is_installed(f"django.contrib.{app}"))


def _detail(exc: exceptions.APIException) -> str:
    return str(exc.detail)[:120]
