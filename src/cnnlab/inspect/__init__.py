"""cnnlab.inspect: what a model does to its input, layer by layer."""

from cnnlab.inspect.summary import LayerRow, ModelSummary, check_input_fits, layer_macs, summary

__all__ = ["summary", "ModelSummary", "LayerRow", "layer_macs", "check_input_fits"]
