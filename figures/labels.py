"""Every word drawn on a figure, in French and English: the label table and :func:`tr`."""

from __future__ import annotations

import re
from typing import Any

from deck.shared.locale import LANGS, current_lang

LABELS: dict[str, dict[str, str]] = {
    # generic
    "input": {"fr": "Entrée", "en": "Input"},
    "output": {"fr": "Sortie", "en": "Output"},
    "kernel": {"fr": "Noyau", "en": "Kernel"},
    "channel": {"fr": "canal", "en": "channel"},
    "weight": {"fr": "poids", "en": "weight"},
    "classes": {"fr": "classes", "en": "classes"},
    # weights provenance
    # offline or a failed download: one picture, so that a cached fallback is true in either case
    "untrained_not_downloaded": {
        "fr": "Poids non entraînés (poids ImageNet non téléchargés)",
        "en": "Untrained weights (ImageNet weights not downloaded)",
    },
    "untrained_missing": {
        "fr": "Poids non entraînés (fichier de poids introuvable)",
        "en": "Untrained weights (weights file not found)",
    },
    "untrained_unreadable": {
        "fr": "Poids non entraînés (fichier de poids illisible)",
        "en": "Untrained weights (unreadable weights file)",
    },
    "untrained_explicit": {
        "fr": "Poids non entraînés (initialisation aléatoire)",
        "en": "Untrained weights (random initialisation)",
    },
    "pretrained": {"fr": "Poids pré-entraînés {name}", "en": "Pretrained weights {name}"},
    "given_weights": {"fr": "Poids du modèle fourni", "en": "Weights of the given model"},
    # kept with the figure in the caches and said again on every hit: true as long as the file is
    # absent (why this build did not download it is said once, on stderr, by weights.download)
    "warn_not_downloaded": {
        "fr": "Poids pré-entraînés non téléchargés ({url}) — la figure montre des poids NON "
        "entraînés.",
        "en": "Pretrained weights not downloaded ({url}) — the figure shows UNTRAINED weights.",
    },
    "warn_missing": {
        "fr": "Fichier de poids introuvable : {path} — la figure montre des poids NON entraînés.",
        "en": "Weights file not found: {path} — the figure shows UNTRAINED weights.",
    },
    "warn_unreadable": {
        "fr": "Fichier de poids illisible : {path} ({error}) — la figure montre des "
        "poids NON entraînés.",
        "en": "Unreadable weights file: {path} ({error}) — the figure shows UNTRAINED "
        "weights.",
    },
    # kernels
    "kernels_title": {
        "fr": "{model} : noyaux de la première convolution",
        "en": "{model}: first-layer convolution kernels",
    },
    "kernels_sub": {
        "fr": "{layer} : {n} filtres {kh}×{kw} sur {c} canaux",
        "en": "{layer}: {n} filters {kh}×{kw} over {c} channels",
    },
    "kernels_shown": {"fr": "{shown} premiers sur {total}", "en": "first {shown} of {total}"},
    "kernels_cbar": {"fr": "poids (canal d'entrée {c})", "en": "weight (input channel {c})"},
    "kernels_rgb": {
        "fr": "composite RVB, normalisé sur tout le tenseur",
        "en": "RGB composite, normalised over the whole tensor",
    },
    "kernels_alt": {
        "fr": "Grille des {n} noyaux {kh}×{kw} de la première convolution de {model} ({mode}). {weights}.",
        "en": "Grid of the {n} {kh}×{kw} kernels of the first convolution of {model} ({mode}). {weights}.",
    },
    "mode_first_channel": {
        "fr": "premier canal d'entrée, échelle divergente commune",
        "en": "first input channel, shared diverging scale",
    },
    "mode_rgb": {"fr": "composite RVB", "en": "RGB composite"},
    # activations
    "activations_title": {"fr": "Fonctions d'activation", "en": "Activation functions"},
    "activations_alt": {
        "fr": "Courbes des fonctions d'activation {names} pour x entre {x0} et {x1}.",
        "en": "Curves of the activation functions {names} for x between {x0} and {x1}.",
    },
    "softmax_logits": {"fr": "Logits z (entrée)", "en": "Logits z (input)"},
    "softmax_probs": {"fr": "softmax(z) : probabilités", "en": "softmax(z): probabilities"},
    "softmax_class": {"fr": "classe", "en": "class"},
    "softmax_sum": {"fr": "somme = {s}", "en": "sum = {s}"},
    "softmax_alt": {
        "fr": "Diagramme en barres : logits {z} et probabilités softmax {p}.",
        "en": "Bar chart: logits {z} and softmax probabilities {p}.",
    },
    # architecture
    "arch_title": {"fr": "Architecture de {model}", "en": "{model} architecture"},
    "arch_stage": {"fr": "étage {i}", "en": "stage {i}"},
    "arch_block": {"fr": "bloc {i}", "en": "block {i}"},
    "arch_gap": {"fr": "moy.\nglobale", "en": "global\navg"},
    "arch_pool": {"fr": "{kind} pooling /{s}", "en": "{kind} pooling /{s}"},
    "arch_upsample": {"fr": "suréchantillonnage", "en": "upsampling"},
    "arch_identity": {"fr": "raccourci identité", "en": "identity shortcut"},
    "arch_projection": {
        "fr": "raccourci avec projection (conv 1×1)",
        "en": "projection shortcut (1×1 conv)",
    },
    "arch_box_legend": {
        "fr": "{block} (canaux de sortie)",
        "en": "{block} (output channels)",
    },
    "warn_small_text": {
        "fr": "le plus petit texte de cette figure ({texts}) mesure {px} px sur la diapositive ({pct} de sa "
        "hauteur), sous les {min} lisibles du fond de la salle : dessinez la figure plus petite "
        "(figsize) ou son texte plus grand (fontsize)",
        "en": "this figure's smallest text ({texts}) is {px} px high on the slide ({pct} of its height), "
        "under the {min} read from the back of the room: draw the figure smaller (figsize) or its "
        "text larger (fontsize)",
    },
    "arch_token_legend": {
        "fr": "{block} (largeur des jetons)",
        "en": "{block} (token width)",
    },
    "arch_tokens": {"fr": "{n} jetons", "en": "{n} tokens"},
    "arch_conv_legend": {
        "fr": "{conv} (canaux de sortie)",
        "en": "{conv} (output channels)",
    },
    "arch_upconv_legend": {
        "fr": "conv transposée {k}×{k}, ×{s}",
        "en": "{k}×{k} transposed conv, ×{s}",
    },
    "arch_cat_legend": {"fr": "concaténation (saut)", "en": "concatenation (skip)"},
    "arch_add_legend": {"fr": "addition (raccourci)", "en": "addition (shortcut)"},
    "arch_alt_resnet": {
        "fr": "Schéma de {model} : tronc, {n} étages de {blocks} blocs {type} "
        "(canaux {ch} ; tailles {hw}), puis {head}.",
        "en": "Diagram of {model}: stem, {n} stages of {blocks} {type} blocks "
        "(channels {ch}; sizes {hw}), then {head}.",
    },
    "arch_alt_plain": {
        "fr": "Schéma de {model} : {n} blocs de {blocks} convolutions (canaux {ch} ; "
        "tailles {hw}), puis {head}.",
        "en": "Diagram of {model}: {n} blocks of {blocks} convolutions (channels {ch}; "
        "sizes {hw}), then {head}.",
    },
    "arch_alt_unet": {
        "fr": "Schéma de {model} en U : {n} niveaux de convolutions (canaux {ch} ; tailles {hw}), "
        "encodeur puis décodeur, {k} connexions de saut par concaténation.",
        "en": "U-shaped diagram of {model}: {n} levels of convolutions (channels {ch}; sizes {hw}), "
        "encoder then decoder, {k} concatenation skip connections.",
    },
    "arch_alt_head_fc": {
        "fr": "couches denses {fc} vers {k} classes",
        "en": "dense layers {fc} to {k} classes",
    },
    "arch_alt_head_none": {"fr": "la sortie {shape}", "en": "the output {shape}"},
    # summary
    "sum_layer": {"fr": "Couche", "en": "Layer"},
    "sum_type": {"fr": "Type", "en": "Type"},
    "sum_shape": {"fr": "Forme de sortie", "en": "Output shape"},
    "sum_params": {"fr": "Paramètres", "en": "Parameters"},
    "sum_trainable": {"fr": "Paramètres entraînables", "en": "Trainable parameters"},
    "sum_frozen": {"fr": "Paramètres gelés", "en": "Frozen parameters"},
    "sum_buffers": {"fr": "Tampons (buffers)", "en": "Buffers"},
    "sum_total": {"fr": "Total des paramètres", "en": "Total parameters"},
    "sum_root": {"fr": "(racine)", "en": "(root)"},
    "warn_rows": {
        "fr": "Le résumé du modèle a {n} lignes (plus de {max}) : il risque de déborder "
        "de la diapositive ; essayez {hint}.",
        "en": "The model summary has {n} rows (more than {max}): it may overflow the "
        "slide; try {hint}.",
    },
    "sum_caption": {"fr": "{model}, entrée {shape}", "en": "{model}, input {shape}"},
    # conv / pool illustrations
    "conv_input": {
        "fr": "Entrée {n}×{n} (remplissage {p})",
        "en": "Input {n}×{n} (padding {p})",
    },
    "conv_input_nopad": {"fr": "Entrée {n}×{n}", "en": "Input {n}×{n}"},
    "conv_kernel": {"fr": "Noyau {k}×{k}", "en": "Kernel {k}×{k}"},
    "conv_output": {"fr": "Sortie {n}×{m} (pas {s})", "en": "Output {n}×{m} (stride {s})"},
    "conv_alt": {
        "fr": "Convolution d'une entrée {n}×{n} (remplissage {p}) par un noyau {k}×{k} "
        "avec un pas de {s} : la fenêtre surlignée donne la valeur {v} de la sortie {o}×{o}.",
        "en": "Convolution of a {n}×{n} input (padding {p}) with a {k}×{k} kernel, "
        "stride {s}: the highlighted window gives the value {v} of the {o}×{o} output.",
    },
    "pool_max": {"fr": "max pooling", "en": "max pooling"},
    "pool_avg": {"fr": "average pooling", "en": "average pooling"},
    "pool_window": {"fr": "{k}×{k}, pas {s}", "en": "{k}×{k}, stride {s}"},
    "pool_alt": {
        "fr": "{kind} {k}×{k} avec un pas de {s} sur une entrée {n}×{n} : chaque fenêtre "
        "colorée donne une case de la sortie {o}×{o}.",
        "en": "{kind} {k}×{k} with stride {s} on a {n}×{n} input: each coloured window "
        "gives one cell of the {o}×{o} output.",
    },
    # feature maps
    "fmaps_photo": {"fr": "Photo (entrée 224×224)", "en": "Photo (224×224 input)"},
    "fmaps_title": {
        "fr": "Cartes d'activation de {layer} ({model})",
        "en": "Feature maps of {layer} ({model})",
    },
    "fmaps_sub": {
        "fr": "sortie de la première convolution\n"
        "chaque carte normalisée séparément (min : noir, max : blanc)",
        "en": "output of the first convolution\n"
        "each map normalised on its own (min: black, max: white)",
    },
    "fmaps_alt": {
        "fr": "Photographie de Grace Hopper et {n} cartes d'activation {h}×{w} "
        "de la première convolution de {model}. {weights}.",
        "en": "Photograph of Grace Hopper and {n} {h}×{w} feature maps of the first "
        "convolution of {model}. {weights}.",
    },
}


def check_lang(lang: str) -> str:
    """``lang`` if the figures have labels for it, else ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def resolve_lang(lang: str | None) -> str:
    """``lang``, or when None the deck's language: its ``lang`` front matter, which deck sets while
    the cells run (``"en"`` outside a build), so a figure speaks the language of its slide."""
    return check_lang(current_lang.get() if lang is None else lang)


def tr(key: str, lang: str, **fmt: Any) -> str:
    """Label ``key`` in ``lang``, formatted with ``fmt``."""
    text = LABELS[key][check_lang(lang)]
    return text.format(**fmt) if fmt else text


def pretty_model_name(name: str) -> str:
    """``resnet50`` -> ``ResNet-50``, ``vgg16_bn`` -> ``VGG-16 (BN)``."""
    m = re.fullmatch(r"resnet(\d+)", name)
    if m:
        return f"ResNet-{m.group(1)}"
    m = re.fullmatch(r"vgg(\d+)(_bn)?", name)
    if m:
        return f"VGG-{m.group(1)}" + (" (BN)" if m.group(2) else "")
    return name
