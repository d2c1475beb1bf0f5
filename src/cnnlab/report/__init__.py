"""cnnlab.report: pictures of what a CNN learns, and report.html of a run folder.

Library functions take a torch model and normalised images (C, H, W) or (N, C, H, W) and return arrays in
small dataclasses that can also draw themselves (`.png()` bytes, `.figure()` for notebooks):

    filters(model, layer=None) -> FilterBank             conv weights as an image grid (first conv by default)
    feature_maps(model, image, layers=None) -> [LayerMaps]  every conv/pool layer's output, via forward hooks
    embedding(model, images, labels, method="tsne", space="features"|"pixels") -> Embedding
    saliency(model, image, target) -> (H, W);  grad_cam(model, image, target, layer=None) -> (H, W) in [0, 1]
    misclassified(probabilities, labels, count) -> Mistakes;  per_class_accuracy(confusion) -> (classes,)
    curves_figure(history), confusion_figure(matrix, classes)
    write_report(run_dir, out=None, samples=250) -> Path   the whole report.html
    add_comparison_to_report(run_dir) -> Path | None     its "Compared with" section, after `cnnlab compare`

matplotlib and scikit-learn are imported only when a picture or a map needs them (extra `cnnlab[report]`).
"""

from cnnlab.report.attribution import grad_cam, saliency
from cnnlab.report.embedding import Embedding, embedding, penultimate_features
from cnnlab.report.extras import MissingExtra
from cnnlab.report.feature_maps import LayerMaps, feature_maps
from cnnlab.report.filters import FilterBank, filters
from cnnlab.report.inputs import predict_probabilities
from cnnlab.report.layers import classifier_layer, conv_layers, first_conv, last_conv, map_layers
from cnnlab.report.mistakes import Mistakes, confusion_from_predictions, misclassified, per_class_accuracy
from cnnlab.report.plots import confusion_figure, curves_figure, have_matplotlib, plot_confusion, plot_curves
from cnnlab.report.run_report import REPORT_NAME, add_comparison_to_report, write_report

__all__ = [
    "filters",
    "FilterBank",
    "feature_maps",
    "LayerMaps",
    "embedding",
    "Embedding",
    "penultimate_features",
    "saliency",
    "grad_cam",
    "misclassified",
    "Mistakes",
    "per_class_accuracy",
    "confusion_from_predictions",
    "predict_probabilities",
    "conv_layers",
    "map_layers",
    "first_conv",
    "last_conv",
    "classifier_layer",
    "curves_figure",
    "confusion_figure",
    "plot_curves",
    "plot_confusion",
    "have_matplotlib",
    "write_report",
    "add_comparison_to_report",
    "REPORT_NAME",
    "MissingExtra",
]
