"""The response models, to import by name: `from orq_images.models import ImageResponse`.

They are generated from openapi.yaml. Every `Image` of a response has `to_bytes()`
and `save()`. What a request carries is typed by the TypedDicts of orq_images.types.
"""

from ._generated.models import *  # noqa: F403
from ._generated.models import __all__ as _models_all

__all__ = list(_models_all)
