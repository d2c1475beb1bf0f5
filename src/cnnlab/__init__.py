"""cnnlab: a CNN laboratory on PyTorch.

    >>> import cnnlab
    >>> model = cnnlab.create_model("lenet5", in_shape=(1, 28, 28), num_classes=10)
"""

from cnnlab.errors import CnnlabError
from cnnlab.inspect import summary
from cnnlab.models import create_model, list_models

__all__ = ["CnnlabError", "create_model", "list_models", "summary"]
__version__ = "0.1.0"

# Modules that register training tasks (cnnlab.train.register_task). cnnlab.train imports them by name when
# a task is asked for, so the layers below geo never import it at module level.
TASK_MODULES = ("cnnlab.geo.tasks",)
