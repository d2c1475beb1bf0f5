"""cnnlab.models: the PyTorch model zoo. One family per file; each registers its models on import."""

# Family files: importing them fills the registry.
from cnnlab.models import (  # noqa: F401
    airbench,
    alexnet,
    cifar_cnn,
    conv_stack,
    fcn_resnet,
    from_scratch,
    googlenet,
    keras_cnn,
    lenet,
    perceptron,
    resnet,
    unet,
    unet_classifier,
    vgg,
)
from cnnlab.models.registry import ModelInfo, create_model, list_models, model_info, register_model

__all__ = ["create_model", "list_models", "model_info", "register_model", "ModelInfo"]
