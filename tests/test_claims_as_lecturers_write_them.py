"""Claims as lecturers write them: each case a new user hit, in a few lines.

The cache-equals-fresh property is in test_cache_fresh.py; the grammar's spellings in
test_grammar.py.
"""
from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import pytest
from helpers_for_tests import run, run_build


def comment_lines(deck, cell: int = 0) -> list[str]:
    return deck.cells[cell].display.split("\n")


# --- a claim grammar a lecturer can predict ----------------------------------------------------
def test_a_plain_comment_is_left_alone(tmp_path):
    deck, problems = run("""
        # Sums
        ```{python}
        #| output: comment
        import torch
        x = torch.ones(3)
        x.sum()  # the sum of all ones
        x.sum()  # total over the batch
        x.sum()  # 10 % of nothing
        ```
        """, tmp_path, check=True)
    assert problems.items == [] and problems.claims == []
    assert comment_lines(deck)[2:] == ["x.sum()  # the sum of all ones", "x.sum()  # total over the batch",
                                       "x.sum()  # 10 % of nothing"]


def test_a_value_with_a_remark_is_checked_on_the_value(tmp_path):
    deck, problems = run("""
        # Remarks
        ```{python}
        #| output: comment
        32  # 32 (a scale and a shift per channel)
        (2, 5)  # (2, 5)  one mean per token
        33  # 32 (a scale and a shift per channel)
        ```
        """, tmp_path, check=True)
    assert [w for _, w in problems.claims] == ["32", "(2, 5)", "32"]
    assert [p.location.line for p in problems.items] == [10]  # the third line only
    assert comment_lines(deck)[0] == "32  # 32  (a scale and a shift per channel)"


def test_claims_are_listed_with_their_lines(project):
    project.deck("""
        ---
        title: T
        ---
        # A
        ```{python}
        #| output: comment
        6 * 7  # 42
        6 * 7  # the answer
        ```
        It is `{py} 6 * 7 => 42`.
        """)
    out = run_build(project, "--check", "--no-layout", "-v")
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stdout.splitlines() if line.startswith("claim:")] == [
        "claim: slides_src/t.md:7 (slide 2): 42", "claim: slides_src/t.md:10 (slide 2): 42"]


# --- numbers as lecturers write them -----------------------------------------------------------
def test_small_floats_are_never_shown_as_zero_and_scientific_claims_hold(tmp_path):
    deck, problems = run("""
        # Rates
        ```{python}
        lr = 1e-5
        eps = 2.5e-4
        ```
        `{py} lr` `{py} eps` `{py} lr => 1e-5` `{py} lr => 1.0e-05` `{py} lr => 10^-5` `{py} lr => 1 × 10⁻⁵`
        `{py} lr => 0`
        """, tmp_path, check=True)
    assert [e.text for e in deck.slides[1].exprs][:2] == ["1 × 10⁻⁵", "2.5 × 10⁻⁴"]
    assert [p.written for p in problems.items] == ["0"]


def test_floats_keep_their_integer_digits_and_small_integers_are_not_grouped(tmp_path):
    for lang, expected in (("en", ["123,457", "2025", "1024", "10,000"]), ("fr", ["123\u202f457", "2025", "1024",
                                                                                   "10\u202f000"])):
        deck, _ = run("# N\n`{py} 123456.789` `{py} 2025` `{py} 1024` `{py} 10000`\n", tmp_path, lang=lang)
        assert [e.text for e in deck.slides[1].exprs] == expected


def test_about_means_give_or_take_one_unit_of_the_last_digit(tmp_path):
    _, problems = run("""
        # About
        ```{python}
        acc = 0.8545
        n = 251_658_240
        ```
        `{py} acc => ~ 0.86` `{py} n => ~ 250 M` `{py} acc => ~ 0.84` `{py} 0.8745 => ~ 0.86`
        """, tmp_path, check=True)
    assert [p.written for p in problems.items] == ["~ 0.84", "~ 0.86"]


def test_french_code_takes_and_writes_decimal_points(tmp_path):
    deck, problems = run("""
        # Log
        ```{python}
        #| output: comment
        import math
        math.log(10)  # 2.30
        math.log(10)  # 2,30
        math.log(10)  #
        ```
        Soit `{py} math.log(10)`.
        """, tmp_path, lang="fr", check=True)
    assert problems.items == []
    assert comment_lines(deck)[-1] == "math.log(10)  # 2.303"  # a point in code, never `2,303` (a tuple?)
    assert deck.slides[1].exprs[0].text == "2,303"              # a comma in French prose


# --- notebook habits ---------------------------------------------------------------------------
def test_a_trailing_semicolon_hides_the_value(tmp_path):
    deck, _ = run("""
        # Eval
        ```{python}
        import torch.nn as nn
        net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
        net.eval();
        ```
        ```{python}
        #| output: comment
        net.eval();  # switch off dropout
        ```
        """, tmp_path)
    assert deck.cells[0].outputs == []
    assert comment_lines(deck, 1) == ["net.eval();  # switch off dropout"]


def test_a_long_value_is_summarised_in_a_result_comment(tmp_path):
    deck, _ = run("""
        # Net
        ```{python}
        #| output: comment
        import torch, torch.nn as nn
        net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        net
        torch.zeros(64, 10)
        ```
        """, tmp_path)
    lines = comment_lines(deck)
    assert lines[2] == "net  # Sequential(…), 23 parameters"
    assert lines[3] == "torch.zeros(64, 10)  # tensor of shape (64, 10), float32"


def test_memory_of_modules_optimizers_and_lists(tmp_path):
    deck, problems = run("""
        # Memory
        ```{python}
        #| output: comment
        import torch, torch.nn as nn
        fc = nn.Linear(1000, 1000)
        memory(fc)                     # 4 MB
        bn = nn.BatchNorm1d(10)
        memory(bn)                     # 168 B
        opt = torch.optim.Adam(fc.parameters())
        fc(torch.randn(2, 1000)).sum().backward()
        opt.step()
        memory(opt)                    # 8.01 MB
        memory([fc.weight, fc.weight, fc.bias])   # 4 MB
        ```
        """, tmp_path, check=True)
    assert problems.items == [], [str(p) for p in problems.items]
    assert len(problems.claims) == 4


def test_a_hidden_set_up_cell_shows_no_text_of_its_last_value(tmp_path):
    deck, _ = run("""
        # Set-up
        ```{python}
        #| echo: false
        import torch
        torch.manual_seed(0)
        ```
        """, tmp_path)
    assert deck.cells[0].outputs == []


def test_a_meta_cell_uses_models_made_by_real_cells(tmp_path):
    deck, problems = run("""
        # Shapes for free
        ```{python}
        import torch, torch.nn as nn
        net = nn.Conv2d(1, 8, 3)
        ```
        ```{python}
        #| output: comment
        #| meta: true
        shape(net(torch.randn(64, 1, 256, 256)))   # (64, 8, 254, 254)
        ```
        ```{python}
        #| output: comment
        net.weight.device.type == "cpu"   # True
        ```
        """, tmp_path, check=True)
    assert problems.items == [] and len(problems.claims) == 2


def test_an_inline_expression_does_not_move_the_random_generators(tmp_path):
    source = """
        # Random
        ```{python}
        import torch, torch.nn as nn
        torch.manual_seed(0)
        ```
        {inline}
        ```{python}
        #| output: comment
        round(float(torch.rand(1)), 4)
        ```
        """
    with_expr, _ = run(source.replace("{inline}", "A layer has `{py} nparams(nn.Linear(8, 3))` weights."), tmp_path)
    without, _ = run(source.replace("{inline}", "No expression here."), tmp_path)
    assert with_expr.cells[1].display == without.cells[1].display


# --- honest tools ------------------------------------------------------------------------------
def test_a_failed_build_never_says_built(project):
    project.deck("---\ntitle: T\n---\n# A\n```{python}\n#| output: comment\n6 * 7  # 41\n```\n")
    out = run_build(project, "--html-only")
    assert out.returncode == 1
    assert not any(line.startswith("built") for line in out.stdout.splitlines())
    assert "not built: t (1 problem); its previous outputs are unchanged" in out.stdout


def test_fix_refuses_a_claim_in_a_loop_and_says_where(project):
    source = project.deck("""
        ---
        title: T
        ---
        # A
        {% for n in [1, 2] %}
        `{py} {{ n }} * 2 => 2`
        {% endfor %}
        """)
    before = source.read_bytes()
    out = run_build(project, "--fix", "--no-layout")
    assert out.returncode == 1
    assert "fixed 0 false values; 1 could not be fixed" in out.stdout
    assert "not fixed: it is inside the {% for %} loop at slides_src/t.md:5-7" in out.stderr
    assert source.read_bytes() == before


def test_fix_keeps_line_endings_modes_and_writes_through_symlinks(project):
    real = project.root / "decks" / "real.md"
    real.parent.mkdir()
    real.write_bytes(b"---\r\ntitle: T\r\n---\r\n# A\r\n```{python}\r\n#| output: comment\r\n6 * 7  # 41\r\n```\r\n")
    real.chmod(0o640)
    (project.root / "slides_src" / "t.md").symlink_to(real)
    out = run_build(project, "--fix", "--no-layout")
    assert out.returncode == 0, out.stderr
    assert (project.root / "slides_src" / "t.md").is_symlink()
    assert real.read_bytes() == b"---\r\ntitle: T\r\n---\r\n# A\r\n```{python}\r\n#| output: comment\r\n6 * 7  # 42\r\n```\r\n"
    assert real.stat().st_mode & 0o777 == 0o640


def test_an_undefined_name_passed_to_a_macro_is_reported_at_the_call(project):
    project.write("slides_src/snippets/m.md", """
        {% macro intro(conv=false) -%}
        Layers{% if conv %} of convolution{% endif %}.
        {%- endmacro %}
        """)
    project.deck("""
        ---
        title: T
        ---
        {% import "snippets/m.md" as m %}
        # A

        {{ m.intro(conv=tru) }}
        """)
    out = run_build(project, "--check", "--no-layout")
    assert out.returncode == 2
    assert "error: slides_src/t.md:7: Jinja: 'tru' is undefined\n    7 | {{ m.intro(conv=tru) }}\n" \
           "    used in slides_src/snippets/m.md:2" in out.stderr


def test_fix_follows_the_deck_being_fixed_not_the_one_the_cache_saw_first(tmp_path):
    # two checkouts sharing one cache (DECK_CACHE_DIR): each is reported and fixed in its own files
    import os

    env = dict(os.environ, DECK_CACHE_DIR=str(tmp_path / "shared-cache"))
    sources = []
    for name in ("one", "two"):
        src = tmp_path / name / "slides_src" / "d.md"
        src.parent.mkdir(parents=True)
        src.write_text("---\ntitle: T\n---\n# A\n```{python}\n#| output: comment\n6 * 7  # 41\n```\n", encoding="utf-8")
        sources.append(src)
    first = run_build(SimpleNamespace(root=tmp_path / "one"), "--check", "--no-layout", environment=env)
    assert "slides_src/d.md:7" in first.stderr
    fixed = run_build(SimpleNamespace(root=tmp_path / "two"), "--fix", "--no-layout", environment=env)
    assert fixed.returncode == 0, fixed.stderr
    assert "# 42" in sources[1].read_text(encoding="utf-8")
    assert "# 41" in sources[0].read_text(encoding="utf-8")  # the other checkout is untouched


# --- a cache that equals a fresh run (the property over every deck is in test_cache_fresh.py) ---
def build_html(project, **kw):
    from deck.pipeline import build_deck

    report = build_deck(project.root / "slides_src" / "t.md", project.options(pdf=False, **kw))
    return report


def test_a_warm_process_keeps_no_setting_whose_line_was_deleted(project):
    # the --watch worker builds again and again in one process, as this test does
    import torch

    setup = "import torch\ntorch.set_default_dtype(torch.float64)\ntorch.set_num_threads(1)\n"
    deck = "---\ntitle: T\n---\n# A\n```{{python}}\n#| echo: false\n{setup}```\n```{{python}}\n#| output: comment\n" \
           "torch.randn(2).dtype   # {dtype}\ntorch.get_num_threads() == 1   # {one}\n```\n"
    threads = torch.get_num_threads()
    project.deck(deck.format(setup=setup, dtype="torch.float64", one="True"))
    assert build_html(project).problems == []
    assert torch.get_default_dtype() == torch.float32 and torch.get_num_threads() == threads  # given back
    project.deck(deck.format(setup="import torch\n", dtype="torch.float32", one=str(threads == 1)))
    report = build_html(project)
    assert report.problems == [], [str(p) for p in report.problems]


def test_an_edited_project_module_reruns_the_cells_that_imported_it(project, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as Python is by default: the build writes a .pyc
    project.write("helpers/sizes.py", "WIDTH = 7\n")
    project.deck("""
        ---
        title: T
        ---
        # A
        ```{python}
        import sys
        sys.path.insert(0, "helpers")
        import sizes
        ```
        ```{python}
        #| output: comment
        sizes.WIDTH   #
        ```
        """)
    first = build_html(project, verbose=True)
    assert first.deck.cells[1].display.endswith("# 7")
    # saved again within the same second, the same size: Python's own check of the .pyc the first
    # build wrote (its time in whole seconds, its size) sees no change; deck's, by content, does
    before = (project.root / "helpers" / "sizes.py").stat()
    project.write("helpers/sizes.py", "WIDTH = 9\n")
    os.utime(project.root / "helpers" / "sizes.py", ns=(before.st_atime_ns, before.st_mtime_ns))
    second = build_html(project, verbose=True)
    assert second.deck.cells[1].display.endswith("# 9")
    assert any("cell 1 ran: a module it imports changed" in line for line in second.cache_log)


def test_files_a_cell_says_it_reads_and_volatile_results(project):
    # figures/ notes the weights file it looks for (present or not) and marks a failed download
    # volatile; any code run by a cell may do the same
    project.write("data.txt", "7\n")
    project.deck("""
        ---
        title: T
        ---
        # A
        ```{python}
        #| output: comment
        from deck.shared.inputs import note_input, note_volatile
        note_input("data.txt")
        int(open("data.txt").read())   #
        ```
        ```{python}
        #| output: comment
        note_volatile("made up on the spot")
        6 * 7   #
        ```
        """)
    build_html(project)
    project.write("data.txt", "9\n")
    again = build_html(project, verbose=True)
    assert again.deck.cells[0].display.endswith("# 9")
    assert any("cell 2 not cached: made up on the spot" in line for line in again.cache_log)


def test_warnings_are_said_once_and_library_deprecations_are_not_the_lecturers(tmp_path):
    """Showing a tensor with matplotlib in a loop (numpy 2 deprecates how torch hands it over): the
    lecturer hears nothing of the library's deprecation; their own warning is said once, at its line."""
    (tmp_path / "oldlib.py").write_text(
        "import warnings\n\ndef old():\n    warnings.warn('old API', DeprecationWarning, stacklevel=1)\n",
        encoding="utf-8")
    deck, problems = run("""
        # Loop
        ```{python}
        import sys, warnings
        sys.path.insert(0, ".")
        import oldlib
        for k in range(4):
            oldlib.old()
            warnings.warn("check the units")
        ```
        """, tmp_path)
    assert problems.items == []
    assert [message for _, message in deck.cells[0].warnings] == ["check the units"]
    assert deck.cells[0].warnings[0][0].line == deck.cells[0].lines[5].line


def test_tuples_and_dicts_of_floats_hold_at_their_written_precision(tmp_path):
    """`x.mean(), x.std()  # (0.50, 0.36)`: as a list, each number at the precision it is written."""
    source = """
        # Mean and std
        ```{python}
        #| output: comment
        import torch
        x = torch.tensor([0.2, 0.4, 0.9])
        x.mean(), x.std()                       # (0.50, 0.36)
        x.mean().item(), x.std().item()         # (0.50, 0.36)
        (x.mean(), x.std())                     # (tensor(0.50), tensor(0.36))
        {"mean": x.mean().item(), "n": 3}       # {'mean': 0.50, 'n': 3}
        (0.5, 0.2512)                           # (0.5, 0.25)
        ```
        """
    deck, problems = run(source, tmp_path, check=True)
    assert problems.items == [] and len(problems.claims) == 5
    for right, wrong in [("# (0.50, 0.36)", "# (0.50, 0.30)"), ("tensor(0.50), tensor(0.36)", "tensor(0.40), tensor(0.36)"),
                         ("'n': 3}", "'n': 4}"), ("# (0.5, 0.25)", "# (0.5, 0.24)")]:
        _, problems = run(source.replace(right, wrong, 1), tmp_path, check=True)
        assert len(problems.items) == 1, wrong


def test_nothing_to_count_and_classes_are_values_too(tmp_path):
    """memory() of a fresh optimizer, of a layer without weights or of an empty tensor is 0 B; a
    class (`type(x)`, `torch.Tensor`) is shown as Python shows it, never taken for a tensor."""
    deck, problems = run("""
        # Nothing yet
        ```{python}
        #| output: comment
        import torch
        from torch import nn
        opt = torch.optim.Adam(nn.Linear(4, 2).parameters())
        memory(opt)              # 0 B
        memory(nn.ReLU())        # 0 B
        memory(torch.empty(0))   # 0 B
        type(torch.zeros(2))
        nn.Linear
        ```
        """, tmp_path, check=True)
    assert problems.items == [] and len(problems.claims) == 3
    assert comment_lines(deck)[-2:] == ["type(torch.zeros(2))  # <class 'torch.Tensor'>",
                                        "nn.Linear  # <class 'torch.nn.modules.linear.Linear'>"]


def test_a_prose_claim_is_located_at_its_own_line_of_the_paragraph(project):
    source = project.deck("""
        ---
        title: T
        ---
        # Two-line paragraph

        ```{python}
        #| echo: false
        std = [0.229, 0.224, 0.225]
        ```

        Red is scaled by `{py} std[0] => 0.229`,
        blue by `{py} std[2] => 0.224`.
        """)
    def check(*extra):
        return run_build(project, "--check", *extra, "t")

    assert check().stderr.startswith("error: slides_src/t.md:12 (slide 2): claim is false: `std[2]` is 0.225")
    assert check("--fix").returncode == 0
    assert source.read_text(encoding="utf-8").endswith("blue by `{py} std[2] => 0.225`.\n")


def test_a_printed_value_with_a_result_comment_is_a_claim(tmp_path):
    """`print(nparams(lstm))  # 18000` states what is printed: checked like the value of an expression
    (the argument evaluated once); a print without a comment, or with words, is left alone."""
    source = """
        # LSTM
        ```{python}
        #| output: comment
        import torch
        from torch import nn
        lstm = nn.LSTM(10, 64)
        calls = []
        def counted(n):
            calls.append(n)
            return n
        print(counted(nparams(lstm)))     # 19 456
        print(nparams(lstm))
        print("hidden size", 64)          # the hidden size
        ```
        """
    deck, problems = run(source, tmp_path, check=True)
    assert problems.items == [] and len(problems.claims) == 1
    assert deck.cells[0].outputs[0].content.split("\n") == ["19456", "19456", "hidden size 64"]
    _, problems = run(source.replace("# 19 456", "# 18 000"), tmp_path, check=True)
    assert [p.location.line for p in problems.items] == [deck.cells[0].lines[7].line]


@pytest.mark.slow
def test_fix_keeps_a_formula_whose_arithmetic_holds(project):
    source = project.deck("""
        ---
        title: T
        ---
        # GRU
        ```{python}
        #| output: comment
        from torch import nn
        nparams(nn.GRU(8, 64))      # 3 × (64 × 72 + 128) = 14336
        nparams(nn.Linear(8, 4))    # 8 × 4 + 5 = 37
        ```
        """)
    fix = run_build(project, "--check", "--fix", "t")
    assert fix.returncode == 0, fix.stderr
    text = source.read_text(encoding="utf-8")
    assert "# 3 × (64 × 72 + 128) = 14,208\n" in text  # the result was wrong, the formula right
    assert "# 36\n" in text  # the formula itself was wrong: the value alone
