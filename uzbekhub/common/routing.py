"""URL matching without redirects: every route answers with and without its trailing slash.

Werkzeug redirects `/x` to a rule's `/x/` (308) and merges doubled slashes the same way; a
browser refuses a redirected CORS preflight, and the redirect's Location is built from the
request's Host header. So rules are not strict about their final slash, nothing is merged,
and nothing is redirected.
"""

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, MapAdapter


class RouteMap(Map):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strict_slashes", False)
        kwargs.setdefault("merge_slashes", False)
        super().__init__(*args, **kwargs)

    def bind(self, *args, **kwargs) -> MapAdapter:
        return _tolerant(super().bind(*args, **kwargs))

    def bind_to_environ(self, *args, **kwargs) -> MapAdapter:
        # Werkzeug's bind_to_environ calls Map.bind, not self.bind.
        return _tolerant(super().bind_to_environ(*args, **kwargs))


class RouteMapAdapter(MapAdapter):
    def match(self, path_info=None, method=None, *args, **kwargs):
        try:
            return super().match(path_info, method, *args, **kwargs)
        except NotFound as missing:
            # Werkzeug matches `/x` to the rule `/x/` only for the rule's own methods, so
            # another method would be 404 without the slash and 405 with it: ask with it.
            path = self.path_info if path_info is None else path_info
            if not path.endswith("/"):
                try:
                    super().match(path + "/", method, *args, **kwargs)
                except MethodNotAllowed:
                    raise
                except NotFound:
                    pass
            raise missing from None


def _tolerant(adapter: MapAdapter) -> MapAdapter:
    adapter.__class__ = RouteMapAdapter
    return adapter
