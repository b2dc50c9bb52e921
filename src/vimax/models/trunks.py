"""Encoder trunks x -> (B, 2K) features, registered by name.

- ``mlp``: the fully connected 784-1024-1024-2K network with ReLU of §4.1.
- ``cnn``: the convolutional encoder of Table 4 (four 4x4 convolutions with
  128-256-512-1024 channels, each followed by BatchNorm and ReLU, then a fully
  connected layer to 2K). Strides of 2 with padding 1 halve the image at each
  convolution (the paper does not give them). ``width`` scales the channels
  for the reduced CPU profile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

from vimax.registry import Registry

__all__ = ["TRUNKS", "mlp_trunk", "cnn_trunk"]

TRUNKS: Registry[nn.Module] = Registry("trunk")


@TRUNKS.register("mlp")
def mlp_trunk(
    input_shape: Sequence[int],
    out_features: int,
    hidden: Sequence[int] = (1024, 1024),
    dropout: float = 0.0,
    width: float = 1.0,
) -> nn.Module:
    """Flatten, then Linear+ReLU (+Dropout) per hidden size, then Linear to ``out_features``."""
    layers: list[nn.Module] = [nn.Flatten()]
    size = math.prod(input_shape)
    for h in hidden:
        h = max(1, round(h * width))
        layers += [nn.Linear(size, h), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        size = h
    layers.append(nn.Linear(size, out_features))
    return nn.Sequential(*layers)


@TRUNKS.register("cnn")
def cnn_trunk(
    input_shape: Sequence[int],
    out_features: int,
    hidden: Sequence[int] = (128, 256, 512, 1024),
    dropout: float = 0.0,
    width: float = 1.0,
) -> nn.Module:
    """Table 4: Conv(4x4, c) + BatchNorm + ReLU per channel count, then Linear to 2K."""
    if len(input_shape) != 3:
        raise ValueError(f"the cnn trunk needs images (C, H, W), the data have shape {tuple(input_shape)}; "
                         "use the mlp trunk")
    channels, height, breadth = input_shape
    layers: list[nn.Module] = []
    for c in hidden:
        c = max(1, round(c * width))
        layers += [
            nn.Conv2d(channels, c, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
        ]
        channels, height, breadth = c, height // 2, breadth // 2
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    if height < 1 or breadth < 1:
        raise ValueError(f"input {tuple(input_shape)} is too small for {len(hidden)} convolutions")
    layers += [nn.Flatten(), nn.Linear(channels * height * breadth, out_features)]
    return nn.Sequential(*layers)
