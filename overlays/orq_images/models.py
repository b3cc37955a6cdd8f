"""The request and response models, to import by name: `from orq_images.models import Retry`.

They are the generated models (generated/orq_images_generated/models). `Image`
is the generated image datum with `to_bytes()` and `save()` added, and the two
response classes are typed to hold it.
"""

from orq_images_generated.models import *  # noqa: F403
from orq_images_generated.models import __all__ as _generated_all

# These three replace the generated names of the star import above.
from ._images import Image, ImageResponse, ImageVariationResponse  # noqa: F401

__all__ = list(_generated_all)
