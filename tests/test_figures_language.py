"""Builders speak the deck's language: lang=None means deck.shared.locale.current_lang."""

import contextlib
import warnings

import pytest
import torch.nn as nn

import figures
from deck.shared.locale import current_lang
from figures import cache


@contextlib.contextmanager
def deck_lang(lang):
    """What deck does while a deck's cells run: current_lang holds its `lang` front matter."""
    token = current_lang.set(lang)
    try:
        yield
    finally:
        current_lang.reset(token)


def first_conv_net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())


# builder call without lang -> (a French text, its English text) among the drawn texts
CASES = {
    "conv": (lambda: figures.conv_illustration(), "Entrée 5×5 (remplissage 1)", "Input 5×5 (padding 1)"),
    "pool": (lambda: figures.pool_illustration("max"), "Sortie", "Output"),
    "activations": (lambda: figures.activation_curves(("sigmoid",)), "Sigmoïde", "Sigmoid"),
    "softmax": (lambda: figures.softmax_bars((1.0, 2.0)), "classe 1", "class 1"),
    "architecture": (lambda: figures.architecture("resnet18"), "étage 1 · 56×56", "stage 1 · 56×56"),
    "kernels": (lambda: figures.first_conv_kernels(first_conv_net()),
                "Poids du modèle fourni", "Weights of the given model"),
    "feature_maps": (lambda: figures.feature_maps(model=first_conv_net(), n=2),
                     "Photo (entrée 224×224)", "Photo (224×224 input)"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_builders_default_to_the_deck_language(name):
    build, fr_text, en_text = CASES[name]
    with deck_lang("fr"):
        fr = build()
    with deck_lang("en"):
        en = build()
    assert fr_text in fr.data["texts"] and en_text not in fr.data["texts"]
    assert en_text in en.data["texts"] and fr_text not in en.data["texts"]


def test_an_explicit_lang_wins_over_the_deck():
    with deck_lang("en"):
        assert "Entrée 5×5 (remplissage 1)" in figures.conv_illustration(lang="fr").data["texts"]
    with deck_lang("fr"):
        assert "Input 5×5 (padding 1)" in figures.conv_illustration(lang="en").data["texts"]


def test_outside_a_build_the_language_is_english():
    assert current_lang.get() == "en"
    assert "Input 5×5 (padding 1)" in figures.conv_illustration().data["texts"]


def test_summary_and_weights_follow_the_deck():
    with deck_lang("fr"):
        table = figures.model_summary(first_conv_net(), (1, 3, 8, 8))
    assert table.lang == "fr" and "Paramètres entraînables" in table._repr_html_()
    with deck_lang("en"):
        table = figures.model_summary(first_conv_net(), (1, 3, 8, 8))
    assert table.lang == "en" and "Trainable parameters" in table._repr_html_()


def test_cached_figures_are_keyed_by_the_deck_language(tmp_path, monkeypatch):
    monkeypatch.setenv("DECK_CACHE_DIR", str(tmp_path / "cache"))
    with deck_lang("fr"):
        key_fr = cache.cache_key(figures.conv_illustration)
        fr = figures.cached(figures.conv_illustration)
    with deck_lang("en"):
        key_en = cache.cache_key(figures.conv_illustration)
        en = figures.cached(figures.conv_illustration)
    assert key_fr != key_en
    assert "Entrée 5×5 (remplissage 1)" in fr.data["texts"]
    assert "Input 5×5 (padding 1)" in en.data["texts"]
    from helpers_for_tests import cache_entries

    assert len(cache_entries(tmp_path / "cache", "figures", ".json")) == 2


def test_a_french_deck_draws_french_figures(tmp_path):
    """Through deck itself: the front matter's lang reaches a builder called without lang."""
    from helpers_for_tests import run

    source = """
    # Convolution

    ```{python}
    #| echo: false
    import figures
    figures.conv_illustration()
    ```
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deck, problems = run(source, tmp_path, lang="fr")
    assert not problems.items, problems.items
    outputs = [o for s in deck.slides for c in s.items for o in getattr(c, "outputs", [])]
    svgs = [o.content for o in outputs if o.kind == "svg"]
    assert len(svgs) == 1
    assert "Entrée 5×5 (remplissage 1)" in svgs[0]
    assert "Input 5×5" not in svgs[0]
