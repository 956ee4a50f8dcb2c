"""Two decks written as a new lecturer writes them, from the README only (tests/fixtures/lecturer_src:
a French one on RNN/LSTM/GRU weight counts, an English one on a ResNet-50 bottleneck's cost), with
mistakes planted: `--check` finds each at its line, lists every typed number it does not verify, and
`--fix` rewrites each false value in the claim's own form, touching no other line."""
import shutil
from pathlib import Path

import pytest

from deck.claims.fix import fix_sources
from deck.pipeline import BuildOptions, build

FIXTURE = Path(__file__).parent / "fixtures" / "lecturer_src"

FALSE = {  # deck -> {line: what the message says}
    "rnn_fr": {22: "397 ko (0,4 Mo), not 2,1 Mo", 23: "173 568, not 74 496",
               36: "33 280 → 99 328 → 329 728, not 33 280 → 99 328 → 329 782",
               37: "a count written in bytes (`Mo`)", 38: "not 74 496 + 99 072 = 173 586",
               44: "99 328, not 99 238", 47: "173 568, not 74 496"},
    "resnet_en": {19: "231 MMACs, not 218 MMACs", 20: "462 MFLOPs (0.46 GFLOPs), not 0.44 GFLOPs",
                  21: "one multiply-add is 2 FLOPs", 22: "19 × 19, not 11 × 11",
                  25: "102 MB (97.7 MiB), not 97.5 MiB"},
}
UNCHECKED = {
    # Jinja values (_course.yml, front matter), a scale kept, 1e999 (no value), the line after a
    # mark that ends its line, the loop's passes; the line the mark opens is left out
    "rnn_fr": [(10, "128"), (10, "64"), (26, "25 k"), (39, "1e999"), (45, "7"), (47, "1"), (47, "2")],
    "resnet_en": [(25, "98 MiB"), (28, "256 × 256")],
}
FIXED = {  # line -> as --fix writes it
    "rnn_fr": {22: "memory(lstm)            # 0,4 Mo", 23: "nparams(gru)            # Nb de poids : 173 568",
               36: "[nparams(nn.LSTM(64, h)) for h in tailles]      # 33 280 → 99 328 → 329 728",
               37: "sum(nparams(nn.LSTM(64, h)) for h in tailles)   # 462 336",
               38: "nparams(gru)            # 74 496 + 99 072 = 173 568",
               44: "Un LSTM : `{py} nparams(lstm) => 99 328` poids.{# typed #}"},
    "resnet_en": {19: "macs(block, (1, 64, 56, 56))   # 231 MMACs",
                  20: "flops(block, (1, 64, 56, 56))  # 0.46 GFLOPs",
                  21: "macs(net, (1, 3, 224, 224))    # 4.1 GMACs",
                  22: "receptive_field([nn.Conv2d(3, 8, 11, stride=4), nn.MaxPool2d(3, 2)])  # 19 × 19",
                  25: "ResNet-50 has `{py} nparams(net) => 25.6 M weights`, about 98 MiB: "
                      "`{py} memory(net) => 97.7 MiB`."},
}


def check(root: Path) -> dict:
    reports = build(BuildOptions(project_root=root, check=True, layout=False, cache=False, pdf=False))
    return {r.name: r for r in reports}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = tmp_path_factory.mktemp("lecturer")
    shutil.copytree(FIXTURE, root / "slides_src")
    return root, check(root)


@pytest.mark.slow
@pytest.mark.parametrize("deck", sorted(FALSE))
def test_each_planted_mistake_is_found_at_its_line(checked, deck):
    _, reports = checked
    problems = reports[deck].problems
    assert all(p.kind == "claim" for p in problems), [str(p) for p in problems]  # no cell error, no traceback
    found = {p.location.line: p.message.replace("\u00a0", " ").replace("\u202f", " ") for p in problems}
    assert sorted(found) == sorted(FALSE[deck])
    for line, said in FALSE[deck].items():
        assert said in found[line], found[line]


@pytest.mark.slow
@pytest.mark.parametrize("deck", sorted(UNCHECKED))
def test_every_number_not_verified_is_listed_at_its_line(checked, deck):
    _, reports = checked
    assert [(u.location.line, u.number) for u in reports[deck].unchecked] == UNCHECKED[deck]


@pytest.mark.slow
def test_fix_writes_each_false_value_in_its_claims_form_and_nothing_else(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "slides_src")
    _, fixed, refused = fix_sources(list(check(tmp_path).values()), tmp_path, read=None)
    assert fixed == sum(map(len, FIXED.values()))
    assert [(p.location.path.stem, p.location.line) for p in refused] == [("rnn_fr", 47)]  # in a loop
    for deck, lines in FIXED.items():
        before = (FIXTURE / f"{deck}.md").read_text(encoding="utf-8").split("\n")
        after = (tmp_path / "slides_src" / f"{deck}.md").read_text(encoding="utf-8").split("\n")
        changed = {i + 1: b for i, (a, b) in enumerate(zip(before, after)) if a != b}
        assert changed == lines
    again = check(tmp_path)
    assert [(p.location.line) for p in again["rnn_fr"].problems] == [47]
    assert not again["resnet_en"].problems
