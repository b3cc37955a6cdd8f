"""The request and response models, to import by name: `from orq_images.models import Retry`.

They are the generated models (generated/orq_images_generated/models); `Image`
is the generated image datum with `to_bytes()` and `save()` added.
"""

from orq_images_generated.models import *  # noqa: F403
from orq_images_generated.models import __all__ as _generated_all

from ._images import Image

__all__ = [*_generated_all, "Image"]  # noqa: PLE0604
