"""cnnlab.models: the PyTorch model zoo. One family per file; each registers its models on import."""

from cnnlab.models.registry import ModelInfo, create_model, list_models, model_info, register_model

# Family files: importing them fills the registry.
from cnnlab.models import airbench, alexnet, cifar_cnn, conv_stack, fcn_resnet, from_scratch, googlenet, keras_cnn, lenet, perceptron, resnet, unet, unet_classifier, vgg  # noqa: E402,F401,E501  isort: skip

__all__ = ["create_model", "list_models", "model_info", "register_model", "ModelInfo"]
