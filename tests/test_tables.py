"""The one printer of graded tables: the seed's layout, whatever torch prints."""

import pytest
import torch

from gbp_lesson import format_table


def test_seed_layout_integers_without_a_dot():
    x = torch.tensor([[3.0, 1, 5], [-2, 5, -7], [3, 2, -4]])
    assert format_table(x) == " 3  1  5\n-2  5 -7\n 3  2 -4"
    assert format_table(2 * torch.ones(3, 3)) == " 2  2  2\n 2  2  2\n 2  2  2"


def test_fixed_decimals_for_non_integral_values():
    assert format_table(torch.tensor([[0.5, -1 / 3], [10, 0]])) == "  0.5000  -0.3333\n 10.0000   0.0000"


def test_no_negative_zero_and_special_values():
    assert format_table(torch.tensor([-0.0, float("nan"), float("inf"), -float("inf")])) == "   0  nan  inf -inf"


def test_large_values_switch_to_scientific_notation():
    assert format_table(torch.tensor([1e30, -2.0])) == " 1.0000e+30 -2.0000e+00"


def test_dtypes_and_dimensions():
    assert format_table(torch.tensor(7)) == " 7"
    assert format_table(torch.tensor([1, 0], dtype=torch.bool)) == " 1  0"
    assert format_table(torch.tensor([1.5], dtype=torch.float16)) == " 1.5000"
    assert format_table(torch.tensor([[1.0, 2.0]], requires_grad=True)) == " 1  2"


def test_bad_input():
    with pytest.raises(TypeError, match="expects a torch.Tensor, got list"):
        format_table([1, 2])
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 2\)"):
        format_table(torch.zeros(2, 2, 2))
