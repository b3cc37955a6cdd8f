"""The objects a request may carry, as TypedDicts (`RetryParam`, `GenerationOrqParam`, ...).

Nested keyword arguments such as `orq={"retry": {"count": 2}}` are checked key by
key against these; each one accepts the model of the same name too. They are
generated from openapi.yaml.
"""

from orq_images_generated.params import *  # noqa: F403
from orq_images_generated.params import __all__ as _params_all

from ._upload import ImageInput

__all__ = ["ImageInput", *_params_all]  # noqa: PLE0604 - the generated names, then ours
