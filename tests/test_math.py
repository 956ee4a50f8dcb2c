"""Math a lecturer writes: matrices, aligned equations and cases, drawn as SVG without LaTeX or a
browser, the same bytes every time, cached; bad TeX stops the build at its line."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers_for_tests import ROOT, cache_entries, rewrite_entry, run_build

from deck.errors import Location, SourceError
from deck.render.math import math_svg, render_math

ENVIRONMENTS = {
    "pmatrix": r"C = \begin{pmatrix} w_1 & w_2 & w_3 & 0 \\ 0 & w_1 & w_2 & w_3 \end{pmatrix}",
    "bmatrix": r"I = \begin{bmatrix} 1 & 0 \\ 0 & 1 \end{bmatrix}",
    "aligned": r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\ s_t &= \beta_2 s_{t-1} \end{aligned}",
    "cases": r"\mathrm{ReLU}(x) = \begin{cases} x & \text{si } x > 0 \\ 0 & \text{sinon} \end{cases}",
}


def _size(svg: str) -> tuple[float, float]:
    width, height = re.search(r"width:([\d.]+)em;height:([\d.]+)em", svg).groups()
    return float(width), float(height)


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_environments_are_drawn(name):
    svg = math_svg(ENVIRONMENTS[name], True)
    assert svg.startswith('<svg class="math display"') and svg.endswith("</svg>") and "<path" in svg
    width, height = _size(svg)
    assert height > 1.8  # two rows: taller than one line of math
    assert "id=" not in svg and "<use" not in svg and "<symbol" not in svg  # several formulas share a page


def test_a_matrix_is_a_grid_not_a_line():
    one_row = _size(math_svg(r"\begin{pmatrix} a & b \end{pmatrix}", True))
    two_rows = _size(math_svg(r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", True))
    assert two_rows[1] > 1.6 * one_row[1] and abs(two_rows[0] - one_row[0]) < 0.5


def test_an_escaped_underscore_in_text_is_an_underscore():
    escaped = math_svg(r"k + \text{output\_padding}", False)
    assert escaped == math_svg(r"k + \text{output_padding}", False).replace(
        'aria-label="k + \\text{output_padding}"', 'aria-label="k + \\text{output\\_padding}"')
    assert escaped != math_svg(r"k + \text{outputpadding}", False)


def test_same_tex_same_bytes_in_a_fresh_process():
    probe = ("import sys; sys.path.insert(0, {root!r}); from deck.render.math import math_svg; "
             "print(math_svg({tex!r}, True))")
    runs = [subprocess.run([sys.executable, "-c", probe.format(root=str(ROOT), tex=ENVIRONMENTS["pmatrix"])],
                           capture_output=True, text=True, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] == math_svg(ENVIRONMENTS["pmatrix"], True) + "\n"


def test_drawn_once_then_read_from_the_cache(tmp_path):
    where = Location(tmp_path / "d.md", 3)
    render_math(ENVIRONMENTS["cases"], True, where, tmp_path)
    [stored] = cache_entries(tmp_path, "math")
    rewrite_entry(stored, lambda svg: svg.replace(b"<path", b"<path data-from-cache=\"1\"", 1))
    assert "data-from-cache" in render_math(ENVIRONMENTS["cases"], True, where, tmp_path)


@pytest.mark.parametrize("tex, problem", [
    (r"\foo x", r"unknown command \foo"),
    (r"\begin{pmatrix} a & b", r"\begin{...} without its \end{...}"),
    (r"\frac{1}{", "something is missing at the end (an argument, or a closing brace)"),
    (r"x^", "^ or _ with nothing after it"),
    (r"\left( x", r"\left without its \right"),
])
def test_bad_tex_is_a_located_error(tex, problem, tmp_path):
    with pytest.raises(SourceError) as err:
        render_math(tex, True, Location(tmp_path / "d.md", 7, 2))
    assert err.value.message == f"cannot draw math ${tex}$: {problem}"
    assert err.value.location == Location(tmp_path / "d.md", 7, 2)


@pytest.mark.slow
def test_matrices_in_the_html_deck_and_the_pdf(project):
    project.deck("""
        ---
        title: T
        ---
        # Matrices

        Inline $\\begin{pmatrix} 1 & 2 \\end{pmatrix}$ and displayed:

        $$C = \\begin{pmatrix} w_1 & w_2 & w_3 & 0 \\\\ 0 & w_1 & w_2 & w_3 \\end{pmatrix}$$

        $$f(x) = \\begin{cases} 0 & x < 0 \\\\ x & x \\ge 0 \\end{cases}$$
        """)
    run = run_build(project)
    assert run.returncode == 0, run.stderr
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert html.count('<svg class="math') == 3
    png = project.root / "page"
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "2", "-l", "2", str(project.root / "build" / "t.pdf"),
                    str(png)], check=True)
    from PIL import Image

    [page] = list(project.root.glob("page*.png"))
    image = Image.open(page).convert("L")
    width, height = image.size
    # the displayed matrix and cases: ink in the middle of the page, where the formulas are centred
    middle = image.crop((width // 3, height // 3, 2 * width // 3, 3 * height // 4))
    assert sum(middle.histogram()[:128]) > 60  # dark pixels (a blank middle has none)
