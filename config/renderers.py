"""The API's renderers: DRF's, showing a write-only caller no more than it may read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import renderers

from identity.permissions import visible_to_caller


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        data = visible_to_caller(data, renderer_context or {})
        return super().render(data, accepted_media_type, renderer_context)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> str:
        # A plain dict, not the serializer's: the HTML forms would otherwise be filled in
        # from the record itself.
        data = visible_to_caller(data, renderer_context or {})
        return super().render(data, accepted_media_type, renderer_context)
