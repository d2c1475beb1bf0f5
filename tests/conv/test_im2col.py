import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlab.conv import col2im, im2col
from cnnlab.errors import CnnlabError


@pytest.mark.parametrize(
    "shape,kernel,stride,padding,dilation",
    [
        ((2, 3, 7, 7), 3, 1, 0, 1),
        ((1, 2, 8, 9), (3, 2), (2, 1), (1, 0), 1),
        ((2, 1, 10, 10), 3, 2, 2, 2),
        ((1, 4, 5, 6), 1, 1, 0, 1),
    ],
)
def test_im2col_and_col2im_match_torch_unfold_and_fold(shape, kernel, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    cols = im2col(x, kernel, stride, padding, dilation)
    expected = F.unfold(torch.from_numpy(x), kernel, dilation=dilation, padding=padding, stride=stride)
    np.testing.assert_allclose(cols, expected.numpy(), atol=1e-12)
    back = col2im(cols, shape, kernel, stride, padding, dilation)
    expected_back = F.fold(expected, shape[2:], kernel, dilation=dilation, padding=padding, stride=stride)
    np.testing.assert_allclose(back, expected_back.numpy(), atol=1e-12)


def test_kernel_larger_than_input_is_a_clear_error():
    with pytest.raises(CnnlabError, match="does not fit"):
        im2col(np.zeros((1, 1, 2, 2)), 3)
