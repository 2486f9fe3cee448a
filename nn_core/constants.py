"""The sizes of MNIST, defined once for every package.

An MNIST image is a 28×28 grid of grey levels; networks read it as one flat row of 784 numbers
(row-major) or as one channel of 28×28. Every image is one of ten digits.
"""

from __future__ import annotations

from typing import Final

IMAGE_SIDE: Final = 28
"""Height and width of an MNIST image, in pixels."""

INPUT_SIZE: Final = IMAGE_SIDE * IMAGE_SIDE
"""Pixels in one image: the length of a network's flat input row (784)."""

IMAGE_SHAPE: Final = (1, IMAGE_SIDE, IMAGE_SIDE)
"""One image as channels × height × width, the input shape of convolutional networks."""

NUM_CLASSES: Final = 10
"""The digits 0 to 9: the size of every classifier's output layer."""
