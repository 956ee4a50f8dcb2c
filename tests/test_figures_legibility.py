"""Readable from the back row: text >= 2.8 % of the slide height once a figure is scaled to the
slide, no figure title repeating the slide's, text colours >= 4.5:1 against white."""

import re
import warnings

import pytest
from colours import contrast

import figures
from figures import palette
from figures.legibility import MIN_TEXT_PX, display_scale, svg_size

# the flagship deck's figures, as slides_src/recap2_convnets.md calls them
FLAGSHIP = {
    "conv": lambda: figures.conv_illustration(lang="fr"),
    "feature_maps": lambda: figures.feature_maps(model="resnet18", n=8, lang="fr"),
    "activations": lambda: figures.activation_curves(("relu", "softplus", "leaky_relu", "elu"), lang="fr"),
    "pool": lambda: figures.pool_illustration("max", lang="fr"),
    "resnet18": lambda: figures.architecture("resnet18", lang="fr"),
    "kernels": lambda: figures.first_conv_kernels("resnet50", weights="DEFAULT", lang="fr"),
    "vgg16": lambda: figures.architecture("vgg16", lang="fr"),
    "softmax": lambda: figures.softmax_bars((2.0, 1.0, 0.1), lang="en"),
    "kernels_rgb": lambda: figures.first_conv_kernels("resnet18", mode="rgb", lang="en", max_kernels=10),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every figure once; no pretrained weights here (offline, empty hub cache): the fallback
    figures, whose warning box is text too."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
    mp.setenv("DECK_OFFLINE", "1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield {name: make() for name, make in FLAGSHIP.items()}
    finally:
        mp.undo()


def test_contrast_formula():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#ffffff") == pytest.approx(1.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)  # WCAG's reference grey


@pytest.mark.parametrize("name", sorted(FLAGSHIP))
def test_text_is_big_enough_on_the_slide(built, name):
    fig = built[name]
    scale = display_scale(*svg_size(fig.svg))
    sizes = [float(s) for s in re.findall(r"<text\b[^>]*font-size: ([\d.]+)px", fig.svg)]
    assert sizes, "no text written as text"
    assert min(sizes) * scale >= MIN_TEXT_PX
    # and what is drawn as outlines (math, symbols) too
    assert min(fig.data["font_sizes"]) * scale >= MIN_TEXT_PX


@pytest.mark.parametrize("name", sorted(FLAGSHIP))
def test_text_colours_contrast_with_white(built, name):
    fills = re.findall(r"<text\b[^>]*fill: (#[0-9a-f]{6})", built[name].svg)
    assert fills
    for fill in set(fills):
        # white text sits on a dark box (checked below); every other text on the white slide
        assert fill == palette.WHITE or contrast(fill) >= 4.5, fill


def test_boxes_under_white_text_contrast_with_it():
    from figures.architectures import _STYLE

    for kind, (face, text, _) in _STYLE.items():
        if text == palette.WHITE:
            assert contrast(face) >= 4.5, kind
        else:
            assert contrast(text, face) >= 4.5, kind
    assert contrast(palette.WARNING) >= 4.5  # the untrained-weights box
    assert contrast(palette.MUTED, palette.LIGHT) >= 4.5  # padding values in the convolution grid
    assert contrast(palette.MUTED, "#fcdcd2") >= 4.5  # ... inside the highlighted window


TITLES = {  # the builder, its title text when asked for, the slide that has it instead
    "resnet18": (lambda **kw: figures.architecture("resnet18", lang="fr", **kw), "Architecture de ResNet-18"),
    "kernels": (lambda **kw: figures.first_conv_kernels("resnet50", lang="fr", max_kernels=8, **kw),
                "ResNet-50 : noyaux de la première convolution"),
    "feature_maps": (lambda **kw: figures.feature_maps(model="resnet18", n=2, lang="fr", **kw),
                     "Cartes d'activation de conv1 (ResNet-18)"),
}


@pytest.mark.parametrize("name", sorted(TITLES))
def test_no_title_in_the_figure_unless_asked(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("DECK_OFFLINE", "1")
    build, title = TITLES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain, titled = build(), build(title=True)
    assert title not in plain.data["texts"] and title not in plain.svg
    assert title in titled.data["texts"]
    assert min(titled.data["font_sizes"]) * display_scale(*svg_size(titled.svg)) >= MIN_TEXT_PX


def test_activation_figure_has_no_overall_title(built):
    assert not any("activation" in t.lower() for t in built["activations"].data["texts"])
