"""What every builder shares: labels, numbers in the deck's language, the SVGFigure contract, SVG output."""

import os
import re
import subprocess
import sys
import textwrap

import pytest
from helpers_for_tests import ROOT

from figures import labels, number_format, output, palette
from figures.output import SVGFigure


def test_svgfigure_contract():
    fig = SVGFigure(svg='<svg width="10pt" height="10pt"></svg>', alt="Un carré.", data={"n": 1})
    assert fig._repr_svg_() == fig.svg
    # the engine embeds _repr_svg_; an _repr_html_ would take precedence
    assert not hasattr(fig, "_repr_html_")
    assert "Un carré." in repr(fig)


def test_labels_exist_in_both_languages():
    for key, entry in labels.LABELS.items():
        assert set(entry) == {"fr", "en"}, key
        assert entry["fr"].strip() and entry["en"].strip(), key
        # same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", entry["fr"])) == set(re.findall(r"{(\w+)}", entry["en"])), key


def test_unknown_language_rejected():
    with pytest.raises(ValueError):
        labels.tr("input", "de")


def test_numbers_in_the_deck_language():
    assert number_format.fmt_number(11689512, "fr") == "11\u202f689\u202f512"
    assert number_format.fmt_number(11689512, "en") == "11,689,512"
    assert number_format.fmt_number(0.6590, "fr", 2) == "0,66"
    assert number_format.fmt_number(0.6590, "en", 2) == "0.66"
    assert number_format.fmt_number(-1.5, "fr") == "\u22121,5"


def _simple_figure(colour="#1f3a5f"):
    with palette.theme():
        fig = output.new_figure(3, 2)
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [0, 1, 4], color=colour)
        ax.set_title("Été")
        ax.imshow([[0, 1], [1, 0]], extent=(0, 1, 0, 1))
        return output.finish(fig, alt="Une courbe.", data={"k": 1})


def test_render_is_deterministic_and_self_contained():
    a, b = _simple_figure(), _simple_figure()
    assert a.svg == b.svg
    svg = a.svg
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert re.search(r'<svg[^>]*\bwidth="[\d.]+pt"', svg) and 'viewBox="' in svg
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert "<title>Une courbe.</title>" in svg
    assert "Été" in a.data["texts"]


def test_ids_are_scoped_per_figure():
    a, b = _simple_figure(), _simple_figure(colour="#e4572e")
    ids_a = set(re.findall(r'\bid="([^"]+)"', a.svg))
    ids_b = set(re.findall(r'\bid="([^"]+)"', b.svg))
    assert ids_a and ids_b and not ids_a & ids_b
    # every internal reference points to an id of the same document
    for svg, ids in ((a.svg, ids_a), (b.svg, ids_b)):
        refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
        assert refs and refs <= ids
    # matplotlib's global CSS rule is scoped to the figure
    assert "<style type=\"text/css\">*{" not in a.svg


@pytest.mark.slow
def test_same_bytes_across_processes():
    """Hash randomisation or dict order must not leak into the SVG."""
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, %r)
        from figures.activations import softmax_bars
        sys.stdout.write(softmax_bars((1.0, 0.5, -0.25)).svg)
        """
        % str(ROOT)
    )
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True, timeout=120)
        outs.append(res.stdout)
    assert outs[0] == outs[1] and outs[0].startswith("<svg")


def test_importing_figures_is_light():
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, %r)
        import figures
        from figures import cached, SVGFigure
        assert callable(cached)
        heavy = [m for m in ("torch", "torchvision", "matplotlib") if m in sys.modules]
        assert not heavy, heavy
        assert callable(figures.first_conv_kernels)  # lazy attribute access works
        """
        % str(ROOT)
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_public_api_names():
    import figures

    for name in ("first_conv_kernels", "activation_curves", "softmax_bars", "architecture",
                 "architecture_stages", "model_summary", "conv_illustration",
                 "pool_illustration", "feature_maps", "cached", "SVGFigure", "load_first_conv"):
        assert name in figures.__all__
    with pytest.raises(AttributeError):
        figures.does_not_exist  # noqa: B018


def test_public_names_survive_submodule_imports():
    # `import figures.<module>` sets the package attribute to the module: no builder may share
    # its name with a module, or `figures.<builder>(...)` in a slide breaks after such an import.
    import importlib
    import pkgutil

    import figures

    modules = {m.name for m in pkgutil.iter_modules(figures.__path__)}
    assert not modules & set(figures.__all__)
    for name in modules:
        importlib.import_module(f"figures.{name}")
    assert callable(figures.architecture) and callable(figures.first_conv_kernels)
