"""The notebook export: valid nbformat 4, true on a real kernel (every value the slides show is what
ipykernel prints), no answers in the student version, the same bytes from one build to the next."""
from __future__ import annotations

import copy
from types import SimpleNamespace

import nbformat
import pytest
from helpers_for_tests import ROOT, run_build

from deck.claims.compare import holds
from deck.export import write_exports
from deck.export.kernel import LINE_KEY
from deck.pipeline import BuildOptions, build_deck

FLAGSHIP = ROOT / "slides_src" / "recap2_convnets.md"


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    """The flagship built with --ipynb, its executed deck, and its teacher and student notebooks."""
    out = tmp_path_factory.mktemp("nb")
    report = build_deck(FLAGSHIP, BuildOptions(project_root=ROOT, decks=[str(FLAGSHIP)], out_dir=out,
                                               html=False, pdf=False, ipynb=True))
    assert not report.problems, report.problems
    files = write_exports(report.deck, SimpleNamespace(course=True, project_root=ROOT), out)
    read = {p.name: nbformat.reads(data.decode("utf-8"), as_version=4) for p, data in files.items()
            if p.suffix == ".ipynb"}
    return SimpleNamespace(deck=report.deck, teacher=read["recap2_convnets.ipynb"],
                           student=read["recap2_convnets-student.ipynb"], out=out)


def test_the_build_writes_a_valid_notebook(flagship):
    nbformat.validate(nbformat.read(flagship.out / "recap2_convnets.ipynb", as_version=4))
    nbformat.validate(flagship.student)


def test_cells_are_the_slides_cells_with_their_options(flagship):
    by_index = {c.metadata["deck"]["cell"]: c for c in flagship.teacher.cells if "deck" in c.metadata}
    live = [c for c in flagship.deck.cells if c.live and c.options.eval]
    assert sorted(by_index) == [c.index for c in live]
    for cell in live:
        nb = by_index[cell.index]
        assert ("raises-exception" in nb.metadata.get("tags", [])) == bool(cell.options.raises)
        assert nb.source.startswith("%%deck") == (cell.options.meta or cell.options.output == "comment")
        assert ("meta" in nb.source.split("\n")[0]) == cell.options.meta
        assert nb.metadata.get("jupyter", {}).get("source_hidden", False) == (not cell.options.echo)
        assert "#|" not in nb.source
    prose = "\n".join(c.source for c in flagship.teacher.cells if c.cell_type == "markdown")
    assert "{py}" not in prose and ". . ." not in prose and ":::" not in prose
    assert "524\u202f800" in "".join(c.source for c in flagship.teacher.cells)  # a computed value, filled in
    notes = [s for s in flagship.deck.slides if any(t.type == "container_notes_open" for t in s.tokens)]
    assert notes and "Le biais ajoute" not in prose  # speaker notes are left out


def test_student_notebook_has_no_outputs_and_no_answers(flagship):
    deck = flagship.deck
    cells = {c.metadata["deck"]["cell"]: c for c in flagship.student.cells if "deck" in c.metadata}
    assert all(not c.get("outputs") for c in flagship.student.cells if c.cell_type == "code")
    blanks = 0
    for cell in deck.cells:
        for r in cell.replacements:
            if r.blank is None:
                continue
            blanks += 1
            line = cells[cell.index].source.split("\n")[r.line + 1]  # after the %%deck line
            assert r.blank in line and r.text not in line, line
    assert blanks >= 4
    text = "\n".join(c.source for c in flagship.student.cells)
    teacher = "\n".join(c.source for c in flagship.teacher.cells)
    assert "Soit 32 × (1 × 3³ + 1) = 896 poids." in teacher  # the answer block, in the teacher's only
    assert "896 poids" not in text


def _shown(outputs) -> tuple[dict, str, list, int]:
    """(line -> value of `%%deck comment` outputs, printed text and values, errors, figures)."""
    lines, text, errors, figures = {}, [], [], 0
    for o in outputs:
        data = o.get("data", {})
        if "image/svg+xml" in data or "text/html" in data:
            figures += 1
        elif o.output_type == "display_data" and LINE_KEY in o.get("metadata", {}):
            lines[o.metadata[LINE_KEY]] = o.data["text/plain"]
        elif o.output_type == "stream":
            text.append(o.text.rstrip("\n"))
        elif o.output_type == "execute_result":
            text.append(o.data["text/plain"])
        elif o.output_type == "error":
            errors.append((o.ename, o.evalue))
    return lines, "\n".join(text), errors, figures


def _number(text: str):
    """The kernel's text of a number (`251 658 240`) as a number, to check a rounded claim against."""
    try:
        return float(text.replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return text


def _same(written: str, shown: str) -> bool:
    """A written claim and the kernel's text of the value agree: the same, or the build's own check
    holds, or the same digits once spelled alike (`~ 7,8 M` in prose style, `~ 7.8 M` in code style)."""
    def spelled(t: str) -> str:
        return "".join(t.replace(",", ".").split()).lstrip("~≈")

    return written == shown or holds(written, _number(shown), "fr", shown) or spelled(written) == spelled(shown)


def _kernel_mismatches(notebook) -> tuple[int, list]:
    """Run the notebook (outputs cleared) on a real ipykernel kernel: how many values were compared
    with what deck computed, and those that differ."""
    from nbclient import NotebookClient

    ran = copy.deepcopy(notebook)
    for c in ran.cells:
        if c.cell_type == "code":
            c.outputs = []
    NotebookClient(ran, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    compared, wrong = 0, []
    for want, got in zip(notebook.cells, ran.cells):
        if want.cell_type != "code" or not want.outputs:
            continue
        w_lines, w_text, w_errors, w_figures = _shown(want.outputs)
        g_lines, g_text, g_errors, g_figures = _shown(got.outputs)
        checks = [(f"line {line}", value, g_lines.get(line), line in g_lines and _same(value, g_lines[line]))
                  for line, value in w_lines.items()]
        checks += [("printed", w_text, g_text, g_text == w_text)] if w_text else []
        checks += [("errors", w_errors, g_errors, g_errors == w_errors)] * bool(w_errors)
        checks += [("figures", w_figures, g_figures, g_figures >= w_figures)] * bool(w_figures)
        compared += len(checks)
        wrong += [(want.id, what, w, g) for what, w, g, ok in checks if not ok]
    return compared, wrong


@pytest.mark.slow
def test_the_notebook_runs_on_a_real_kernel_and_prints_what_the_slides_show(flagship):
    compared, wrong = _kernel_mismatches(flagship.teacher)
    assert not wrong
    assert compared >= 15  # the flagship's values the kernel printed (not a vacuous comparison)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["recap3", "recap4"])
def test_the_other_lectures_notebooks_are_true_too(name, tmp_path):
    path = ROOT / "slides_src" / f"{name}.md"
    report = build_deck(path, BuildOptions(project_root=ROOT, decks=[str(path)], out_dir=tmp_path,
                                           html=False, pdf=False, ipynb=True))
    assert not report.problems, report.problems
    compared, wrong = _kernel_mismatches(nbformat.read(tmp_path / f"{name}.ipynb", as_version=4))
    assert not wrong
    assert compared >= 10


CONVNET_HELPERS_DECK = """---
title: Helpers
lang: en
---
# Every helper a cell sees

```{python}
import torch
from torch import nn
net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3))
x = torch.randn(1, 3, 32, 32)
```

```{python}
#| output: comment
macs(net, x)
flops(net, x)
receptive_field(net)
out_size(net[0], 32)
size_formula(net[0], 32)
```
"""


@pytest.mark.slow
def test_a_notebook_using_the_convnet_helpers_runs(project):
    """The notebook's first cell imported a list of helpers typed by hand, without the ConvNet ones:
    a lecturer's deck using `macs` or `out_size` gave a notebook that stopped at a NameError."""
    path = project.deck(CONVNET_HELPERS_DECK)
    report = build_deck(path, project.options(decks=[str(path)], html=False, pdf=False, ipynb=True))
    assert not report.problems, report.problems
    compared, wrong = _kernel_mismatches(nbformat.read(project.root / "build" / "t.ipynb", as_version=4))
    assert not wrong and compared >= 3


@pytest.mark.slow
def test_two_builds_give_the_same_bytes(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / str(k)
        run = run_build(SimpleNamespace(root=ROOT), "--ipynb", "--pptx", "recap2_convnets", "-o", str(out),
                        env={"NO_COLOR": "1"})
        assert run.returncode == 0, run.stderr
        outs.append(out)
    for name in ("recap2_convnets.ipynb", "recap2_convnets.pptx"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_an_output_a_notebook_cannot_hold_is_a_located_error(tmp_path):
    from helpers_for_tests import run

    from deck.errors import CellError
    from deck.export.notebook import notebook_bytes

    deck, problems = run('''
    # S

    ```{python}
    print("half a character: \\ud800")
    ```
    ''', tmp_path)
    assert not problems.items
    with pytest.raises(CellError) as err:
        notebook_bytes(deck, deck, False, tmp_path)
    assert "cannot be written into the notebook" in str(err.value) and "t.md:" in str(err.value)
