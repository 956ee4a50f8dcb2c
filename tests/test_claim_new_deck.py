"""A deck written from the README alone, on a topic the course does not cover (depthwise-separable
convolutions, MobileNetV2): no false alarm, every planted mistake at its line, every typed number
either checked or listed (tests/fixtures/separable_en.md)."""
from __future__ import annotations

import shutil
from pathlib import Path

from deck.pipeline import BuildOptions, build_deck

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "separable_en.md"
MISTAKES = [  # (correct text, planted mistake, its line, what the message must say)
    ("nparams(dw)                 # 576 weights", "nparams(dw)                 # 567 weights", 37, "not 567 weights"),
    ("+ 1 = 56", "+ 1 = 57", 57, "not ⌊(112 + 2 × 1 − 3) / 2⌋ + 1 = 57"),
    ("`{py} nparams(mnet) => 3.5 million`", "`{py} nparams(mnet) => 3.5 MB`", 76, "a count written in bytes (`MB`)"),
]


def check(project, text: str):
    path = project.deck(text, "separable_en")
    return build_deck(path, BuildOptions(project_root=project.root, check=True, layout=False))


def test_the_new_deck_holds_and_its_typed_numbers_are_listed(project):
    report = check(project, FIXTURE.read_text(encoding="utf-8"))
    assert report.problems == [] and report.claims == 20
    assert [(u.location.line, u.number) for u in report.unchecked] == [
        (43, "1 × 1"), (46, "1 × 1"), (50, "2"), (61, "7 × 7"), (76, "25.6 M"), (77, "7")]
    shutil.rmtree(project.root / ".deck_cache", ignore_errors=True)
    text = FIXTURE.read_text(encoding="utf-8")
    for right, wrong, _, _ in MISTAKES:
        assert right in text
        text = text.replace(right, wrong)
    report = check(project, text)
    assert [p.location.line for p in report.problems] == [line for *_, line, _ in MISTAKES]
    for problem, (*_, said) in zip(report.problems, MISTAKES, strict=True):
        assert said in problem.message, problem.message
