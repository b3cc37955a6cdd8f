"""The objects a request may carry, as TypedDicts (`RetryParam`, `GenerationOrqParam`, ...).

Nested keyword arguments such as `orq={"retry": {"count": 2}}` are checked key by
key against these, by type checkers and by the client before sending. They are
generated from openapi.yaml.
"""

from ._generated.params import *  # noqa: F403
from ._generated.params import __all__ as _params_all
from ._upload import File, ImageInput

__all__ = ["File", "ImageInput", *_params_all]  # noqa: PLE0604 - the generated names, then ours
