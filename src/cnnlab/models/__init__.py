"""cnnlab.models: the PyTorch model zoo. One family per file; each registers its models on import."""

from cnnlab.models.registry import ModelInfo, create_model, list_models, model_info, register_model

__all__ = ["create_model", "list_models", "model_info", "register_model", "ModelInfo"]
