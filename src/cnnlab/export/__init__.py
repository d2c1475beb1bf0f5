"""cnnlab.export: a trained run as a file other programs run: ONNX (onnxruntime, browsers, C++) or TorchScript.

The exported model takes raw pixels (float32 0..255, N x C x H x W, any N) and returns logits; the
dataset's normalisation is part of it, and the class names travel in the file's metadata.
"""

from cnnlab.export.exporter import EXPORT_FORMATS, OPSET, ExportResult, export_run
from cnnlab.export.raw_pixels import RawPixelModel

__all__ = ["export_run", "ExportResult", "EXPORT_FORMATS", "RawPixelModel", "OPSET"]
