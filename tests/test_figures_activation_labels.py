"""An activation panel's formula sits under its curve: the formula's light box keeps the grid away
but never cuts the curve where they meet (ELU's curve runs through its three-line label). Read from
the SVG's painting order: a panel's box is painted before its curve."""
import re

from figures.activations import activation_curves
from figures.palette import CYCLE


def test_each_formula_box_is_painted_under_its_curve():
    names = ("relu", "softplus", "leaky_relu", "elu")
    svg = activation_curves(names, lang="fr").svg
    boxes = [m.start() for m in re.finditer(r"fill: #ffffff; opacity: 0\.85", svg)]
    curves = [svg.index(f"stroke: {colour}") for colour in CYCLE[:len(names)]]
    assert len(boxes) == len(names)
    for box, curve, nxt in zip(boxes, curves, boxes[1:] + [len(svg)]):
        assert box < curve < nxt  # in its panel: first the box, then the curve over it
