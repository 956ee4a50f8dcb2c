"""The ConvNet helpers of cells (macs, flops, receptive_field, out_size, size_formula, stage_shapes) and
formula() for every layer it knows, against real torch and torchvision models."""
from __future__ import annotations

import itertools
import math
import re
import textwrap

import pytest
import torch
import torchvision
from helpers_for_tests import html, run, run_build
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from deck.execute.cell_api import formula
from deck.execute.convnet_helpers import (
    PerAxis,
    flops,
    in_kind,
    macs,
    operations_convention,
    out_size,
    receptive_field,
    size_formula,
    stage_shapes,
)
from deck.shared.locale import current_lang

IMAGE = (1, 3, 224, 224)


def evaluate(text: str) -> float:
    """A formula as written on a slide, evaluated by Python: × is *, − is -, ⌊ ⌋ and ⌈ ⌉ floor and
    ceil, a superscript a power (deck's own claim reader is what the claims code tests)."""
    python = (text.replace("×", "*").replace("−", "-").replace("⌊", "math.floor(").replace("⌋", ")")
              .replace("⌈", "math.ceil(").replace("⌉", ")"))
    digits = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
    python = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "**" + m.group(1).translate(digits), python)
    return eval(python, {"math": math})


# --- macs and flops ----------------------------------------------------------------------------
CARDS = {"resnet18": torchvision.models.ResNet18_Weights, "vgg16": torchvision.models.VGG16_Weights,
         "alexnet": torchvision.models.AlexNet_Weights, "mobilenet_v2": torchvision.models.MobileNet_V2_Weights}


@pytest.mark.parametrize("name", CARDS)
def test_macs_are_torchvision_model_cards_gflops(name):
    """torchvision's "GFLOPS" (meta["_ops"]) are multiply-adds: macs() gives them, at the card's precision."""
    card = CARDS[name].DEFAULT.meta["_ops"]
    with torch.device("meta"):
        model = torchvision.models.get_model(name)
    count = macs(model, IMAGE)
    decimals = len(str(card).split(".")[1])
    assert round(count.value / 1e9, decimals) == card
    assert count.kind == "macs"
    assert flops(model, IMAGE).value == 2 * count.value
    assert flops(model, IMAGE).kind == "flops"


def test_flops_are_what_flop_counter_mode_counts_on_a_real_forward():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8 * 16 * 16, 10))
    counter = FlopCounterMode(display=False)
    with counter:
        net(torch.randn(2, 3, 32, 32))
    assert flops(net, (2, 3, 32, 32)).value == counter.get_total_flops()
    assert macs(net, (2, 3, 32, 32)).value == counter.get_total_flops() // 2


def test_operation_counts_read_as_a_lecturer_writes_them_in_both_languages():
    with torch.device("meta"):
        model = torchvision.models.resnet18()
    token = current_lang.set("fr")
    try:
        fr = macs(model, IMAGE)
    finally:
        current_lang.reset(token)
    en = flops(model, IMAGE)
    assert (fr.text, fr.code_text) == ("1,81\u00a0GMACs", "1.81\u00a0GMACs")
    assert en.text == "3.63\u00a0GFLOPs"
    assert str(macs(nn.Linear(3, 4), (1, 3))) == "12\u00a0MACs"
    convention = operations_convention(macs(model, IMAGE))
    assert convention.startswith("macs() counts multiply-adds: 1.81\u00a0GMACs = 3.63\u00a0GFLOPs")
    assert "torchvision's \"GFLOPS\" are MACs" in convention
    assert operations_convention(en).startswith(
        "flops() counts floating-point operations: 3.63\u00a0GFLOPs = 1.81\u00a0GMACs")
    assert in_kind(en, "macs") == macs(model, IMAGE).value


def test_counting_leaves_a_real_model_as_it_was():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout())
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    macs(net, (1, 3, 8, 8))
    stage_shapes(net, (1, 3, 8, 8))
    receptive_field(Wrapped(net), (1, 3, 8, 8))
    assert net.training and all(m.training for m in net.modules())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.device.type == "cpu" for p in net.parameters())


class NeedsValues(nn.Module):
    """A forward that reads a value: it cannot run on the meta device."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x) * (2 if x.sum().item() > 0 else 1)


def test_a_forward_that_needs_values_runs_for_real_or_says_why():
    net = NeedsValues()
    assert macs(net, (3, 4)).value == 3 * 4 * 2
    with torch.device("meta"):
        ghost = NeedsValues()
    with pytest.raises(RuntimeError, match="needs values, which meta tensors do not have.*without `meta: true`"):
        macs(ghost, (3, 4))


def test_a_sample_tensor_gives_its_shape_and_dtype():
    emb = nn.Sequential(nn.Embedding(100, 16), nn.Linear(16, 4))
    assert macs(emb, torch.zeros(2, 7, dtype=torch.long)).value == 2 * 7 * 16 * 4


# --- receptive fields --------------------------------------------------------------------------
class Wrapped(nn.Module):
    """A model with a forward of its own: receptive_field() must measure it."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


class Residual(nn.Module):
    def __init__(self, branch):
        super().__init__()
        self.branch = branch

    def forward(self, x):
        return x + self.branch(x)


class TwoBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.small, self.large = nn.Conv2d(3, 4, 1), nn.Conv2d(3, 4, 5, padding=2)

    def forward(self, x):
        return torch.cat([self.small(x), self.large(x)], dim=1)


def test_two_3x3_convolutions_see_5x5():
    field = receptive_field(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3)))
    assert field == (5, 5) and str(field) == "5 × 5" and int(field) == 5 and field.value == 5
    assert field.jump == (1, 1)


def test_alexnet_and_vgg16_conv_stacks_have_their_known_fields():
    """195 for AlexNet's features and 212 for VGG-16's (the figures of the receptive-field
    literature, e.g. Araujo et al., Distill 2019), analytically and measured."""
    with torch.device("meta"):
        alexnet, vgg = torchvision.models.alexnet(), torchvision.models.vgg16()
    assert receptive_field(alexnet.features) == (195, 195)
    assert receptive_field(alexnet.features).jump == (32, 32)
    assert receptive_field(vgg.features) == (212, 212)
    assert receptive_field(Wrapped(alexnet.features), (1, 3, 400, 400)) == (195, 195)


@pytest.mark.slow
def test_resnet18_trunk_is_measured_through_its_skips():
    with torch.device("meta"):
        resnet = torchvision.models.resnet18()
    trunk = nn.Sequential(*list(resnet.children())[:-2])
    assert receptive_field(trunk, (1, 3, 640, 640)) == (435, 435)  # the known theoretical field of ResNet-18
    with pytest.raises(ValueError, match="reaches the border of the \\(1, 3, 224, 224\\) input"):
        receptive_field(trunk, IMAGE)


CHAINS = [
    [nn.Conv2d(1, 2, 3, stride=2), nn.Conv2d(2, 2, 3, dilation=2), nn.MaxPool2d(2)],
    [nn.Conv2d(1, 2, (3, 5), stride=(1, 2)), nn.ReLU(), nn.AvgPool2d(3, stride=2), nn.Conv2d(2, 2, (5, 1))],
    [nn.MaxPool2d(3, stride=2, padding=1, dilation=2), nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(1, 1, 3)],
    [nn.Conv1d(1, 2, 7, stride=3), nn.BatchNorm1d(2), nn.MaxPool1d(3, stride=2), nn.Conv1d(2, 2, 3, dilation=3)],
    [nn.Conv3d(1, 2, 3, stride=(1, 2, 2)), nn.MaxPool3d(2), nn.Conv3d(2, 1, (1, 3, 3))],
]


@pytest.mark.parametrize("chain", CHAINS, ids=range(len(CHAINS)))
def test_the_analytic_field_is_the_measured_one(chain):
    """Strides, dilations, non-square kernels and max pooling (whose gradient would go to one input
    only): the formula and the gradient agree."""
    axes = 3 if isinstance(chain[0], nn.Conv3d) else 1 if isinstance(chain[0], nn.Conv1d) else 2
    size = {1: (1, 1, 300), 2: (1, 1, 120, 120), 3: (1, 1, 40, 60, 60)}[axes]
    analytic = receptive_field(nn.Sequential(*chain))
    assert len(analytic) == axes
    assert receptive_field(Wrapped(nn.Sequential(*chain)), size) == analytic
    assert receptive_field(chain) == analytic  # a list of layers is a chain too


def test_a_network_with_branches_or_skips_has_its_largest_field():
    assert receptive_field(TwoBranches(), (1, 3, 32, 32)) == (5, 5)
    block = Residual(nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 3, 3, padding=1)))
    assert receptive_field(nn.Sequential(block, block), (1, 3, 32, 32)) == (9, 9)


def test_fields_that_cannot_be_given_say_why():
    with pytest.raises(TypeError, match="a model with its own forward\\(\\) needs input_size"):
        receptive_field(TwoBranches())
    with pytest.raises(TypeError, match="a ConvTranspose2d layer needs input_size"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 3)))
    with torch.device("meta"):
        resnet = torchvision.models.resnet18()
    with pytest.raises(ValueError, match="has no spatial axes.*a classifier sees the whole image"):
        receptive_field(resnet, (1, 3, 64, 64))
    field = receptive_field(nn.Conv2d(1, 1, (3, 5)))
    assert isinstance(field, PerAxis) and str(field) == "3 × 5" and field.value is None
    with pytest.raises(ValueError, match="not square"):
        int(field)


# --- output sizes ------------------------------------------------------------------------------
def layers():
    """Convolutions, poolings and transposed convolutions over many hyperparameters."""
    for k, s, p, d in itertools.product((1, 2, 3, 5, 7), (1, 2, 3), (0, 1, 3), (1, 2)):
        yield nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
        if p <= k // 2:
            yield nn.MaxPool2d(k, stride=s, padding=p, dilation=d, ceil_mode=d == 2)
            yield nn.MaxPool1d(k, stride=s, padding=p, ceil_mode=True)
            yield nn.AvgPool2d(k, stride=s, padding=p, ceil_mode=s == 3)
        for out_pad in {0, s - 1}:
            if out_pad < max(s, d):
                yield nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, dilation=d, output_padding=out_pad)
    yield nn.Conv3d(1, 1, 3, stride=2, padding=1)
    yield nn.Conv1d(1, 1, 4, padding="same")
    yield nn.Conv2d(1, 1, 5, padding="same", dilation=2)
    yield nn.Conv2d(1, 1, 3, padding="valid")
    yield nn.MaxPool2d(3, stride=2, ceil_mode=True)  # the last window starts in the padding at n = 6


def test_out_size_and_its_formula_are_the_layers_real_output():
    checked = 0
    for layer in layers():
        axes = layer.weight.dim() - 2 if hasattr(layer, "weight") else (1 if "1d" in type(layer).__name__ else 2)
        for n in (6, 7, 15, 32, 224):
            try:
                real = layer(torch.zeros(1, 1, *(n,) * axes)).shape[-1]
            except RuntimeError:  # the input is too small for this layer
                continue
            assert out_size(layer, n) == real, (layer, n)
            written = size_formula(layer, n)
            assert int(written) == real, (layer, n)
            left, right = str(written).rsplit(" = ", 1)
            assert evaluate(left) == real and int(right) == real, (str(written), layer, n)
            checked += 1
    assert checked > 1000


def test_size_formula_is_written_as_a_lecture_writes_it():
    assert str(size_formula(nn.Conv2d(3, 64, 7, stride=2, padding=3), 224)) == "⌊(224 + 2 × 3 − 7) / 2⌋ + 1 = 112"
    assert str(size_formula(nn.MaxPool2d(2), 7)) == "⌊(7 − 2) / 2⌋ + 1 = 3"
    assert str(size_formula(nn.MaxPool2d(2, ceil_mode=True), 7)) == "⌈(7 − 2) / 2⌉ + 1 = 4"
    assert str(size_formula(nn.Conv1d(1, 1, 3, dilation=2), 10)) == "⌊(10 − 2 × (3 − 1) − 1) / 1⌋ + 1 = 6"
    assert str(size_formula(nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), 14)) == "(14 − 1) × 2 − 2 × 1 + 4 = 28"


def test_out_size_per_axis_and_through_a_chain():
    conv = nn.Conv2d(3, 8, (3, 5), stride=(1, 2), padding=(1, 0))
    assert out_size(conv, (32, 40)) == tuple(conv(torch.zeros(1, 3, 32, 40)).shape[2:])
    assert out_size(conv, 40, axis=1) == conv(torch.zeros(1, 3, 32, 40)).shape[3]
    with pytest.raises(ValueError, match="differs per axis"):
        out_size(conv, 32)
    with torch.device("meta"):
        alexnet = torchvision.models.alexnet()
    real = alexnet.features(torch.empty(1, 3, 224, 224, device="meta")).shape[-1]
    assert out_size(alexnet.features, 224) == real
    with pytest.raises(TypeError, match="not Linear"):
        out_size(nn.Linear(3, 4), 3)


# --- stage shapes ------------------------------------------------------------------------------
def test_stage_shapes_are_each_childs_real_output():
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18()
    seen = {}

    def hook(name):
        def record(module, args, out):
            seen.setdefault(name, tuple(out.shape))  # returns None: the output stays
        return record

    handles = [child.register_forward_hook(hook(name)) for name, child in resnet.named_children()]
    resnet.eval()(torch.zeros(1, 3, 64, 64))
    for h in handles:
        h.remove()
    stages = stage_shapes(resnet, (1, 3, 64, 64))
    assert list(stages) == [name for name, _ in resnet.named_children()]
    assert {name: tuple(stages[name]) for name in stages} == seen
    table = stages.markdown().splitlines()
    assert table[0] == "| stage | type | output shape |" and len(table) == 2 + len(seen)
    assert f"| layer2 | Sequential | {stages['layer2']} |" in table
    assert "<td>layer4</td><td>Sequential</td><td>(1, 512, 2, 2)</td>" in stages._repr_html_()


def test_a_child_the_forward_does_not_call_shows_a_dash():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.spare = nn.Conv2d(1, 2, 3), nn.Linear(2, 2)

        def forward(self, x):
            return self.conv(x)

    assert stage_shapes(Unused(), (1, 1, 8, 8)).rows[1] == ("spare", "Linear", None)
    assert "| spare | Linear | — |" in str(stage_shapes(Unused(), (1, 1, 8, 8)))


# --- formula() ---------------------------------------------------------------------------------
FORMULA_LAYERS = [
    nn.Linear(1024, 512), nn.Conv2d(3, 64, 7, bias=False), nn.Conv2d(32, 64, 3, groups=4),
    nn.BatchNorm2d(64), nn.BatchNorm1d(16, affine=False), nn.LayerNorm(512), nn.LayerNorm((64, 7, 7)),
    nn.LayerNorm(256, bias=False), nn.GroupNorm(8, 64), nn.Embedding(30000, 768),
    nn.LSTM(64, 128), nn.LSTM(64, 128, num_layers=3, bidirectional=True), nn.LSTM(10, 20, num_layers=2, proj_size=5),
    nn.GRU(300, 256, num_layers=2, bias=False), nn.GRU(8, 16, bidirectional=True), nn.RNN(5, 6),
    nn.MultiheadAttention(512, 8), nn.MultiheadAttention(64, 4, kdim=32, vdim=16),
    nn.MultiheadAttention(64, 4, bias=False, add_bias_kv=True),
    nn.TransformerEncoderLayer(512, 8), nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, bias=False),
    nn.TransformerDecoderLayer(256, 4, dim_feedforward=1024),
]


@pytest.mark.parametrize("layer", FORMULA_LAYERS, ids=lambda layer: repr(layer).split("\n")[0][:60])
def test_formula_is_the_real_weight_count_and_its_text_says_it(layer):
    written = formula(layer)
    real = sum(p.numel() for p in layer.parameters())
    assert int(written) == real
    assert evaluate(str(written)) == real, str(written)


def test_formula_texts_read_as_a_lecture_writes_them():
    assert str(formula(nn.BatchNorm2d(64))) == "2 × 64"
    assert str(formula(nn.Embedding(30000, 768))) == "30000 × 768"
    assert str(formula(nn.LSTM(64, 128))) == "4 × (128 × (64 + 128) + 2 × 128)"
    assert str(formula(nn.GRU(8, 16, bidirectional=True))) == "2 × 3 × (16 × (8 + 16) + 2 × 16)"
    assert str(formula(nn.MultiheadAttention(512, 8))) == "4 × (512 × 512 + 512)"
    assert str(formula(nn.TransformerEncoderLayer(512, 8))) == (
        "4 × (512 × 512 + 512) + (512 × 2048 + 2048) + (2048 × 512 + 512) + 2 × 512 + 2 × 512")
    with pytest.raises(TypeError, match="not ReLU"):
        formula(nn.ReLU())


# --- in a deck ---------------------------------------------------------------------------------
def test_a_meta_cell_that_cannot_build_its_model_says_what_to_do(tmp_path):
    deck, problems = run("""
        # S
        ```{python}
        #| meta: true
        import torchvision
        regnet = torchvision.models.regnet_y_400mf()
        ```
        """, tmp_path, check=True)
    [error] = problems.items
    assert "Cannot copy out of meta tensor" in str(error)
    assert ("build the model in a cell without `meta: true` first; a later `meta: true` cell sees its meta copy"
            in str(error))
    deck, problems = run("""
        # S
        ```{python}
        import torch, torchvision
        regnet = torchvision.models.regnet_y_400mf()
        ```
        ```{python}
        #| meta: true
        #| output: comment
        shape(regnet(torch.randn(1, 3, 224, 224)))
        ```
        """, tmp_path, check=True)
    assert not problems.items, problems.items


@pytest.mark.slow
def test_a_deck_using_the_helpers_checks_end_to_end(project):
    """Through `python build.py --check`: the helpers are predefined, their values are shown and
    checked, and a false one fails at its line."""
    body = textwrap.dedent("""
        ---
        title: T
        lang: fr
        ---
        # Taille
        ```{python}
        #| output: comment
        #| meta: true
        import torch, torchvision
        from torch import nn
        conv = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        out_size(conv, 224)       # 112
        size_formula(conv, 224)   # ⌊(224 + 2 × 3 − 7) / 2⌋ + 1 = 112
        pair = [nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3)]
        receptive_field(pair)     # 5 × 5
        ```

        ---

        # Poids et coût
        ```{python}
        #| output: comment
        formula(nn.LSTM(64, 128))  # 4 × (128 × (64 + 128) + 2 × 128)
        resnet = torchvision.models.resnet18()
        ```
        ResNet-18 : `{py} macs(resnet, (1, 3, 224, 224)) => 1,81 GMACs`.

        ---

        # Étapes
        ```{python}
        #| meta: true
        #| echo: false
        stage_shapes(resnet, (1, 3, 32, 32))
        ```
        """).lstrip()
    project.deck(body)
    passed = run_build(project, "--check")
    assert passed.returncode == 0, passed.stderr
    project.deck(body.replace("# 112\n", "# 113\n"))
    line = body.splitlines().index("out_size(conv, 224)       # 112") + 1
    failed = run_build(project, "--check")
    assert failed.returncode == 1
    assert f"slides_src/t.md:{line} (slide 2): claim is false" in failed.stderr, failed.stderr

def test_helper_values_show_on_the_slide_in_the_decks_language(tmp_path):
    page = html("""
        # S
        ```{python}
        #| echo: false
        import torchvision
        from torch import nn
        resnet = torchvision.models.resnet18()
        ```
        Coût : `{py} macs(resnet, (1, 3, 224, 224))`, champ : `{py} receptive_field([nn.Conv2d(1, 1, 3)] * 2)`.
        ```{python}
        #| meta: true
        stage_shapes(resnet, (1, 3, 64, 64))
        ```
        """, tmp_path, lang="fr")
    assert ('Coût : <span class="computed">1,81\u00a0GMACs</span>, champ : <span class="computed">5\u00a0×\u00a05</span>.'
            in page)
    assert '<table class="stages"><thead><tr><th>étape</th><th>type</th><th>forme de sortie</th>' in page
    assert "<td>layer4</td><td>Sequential</td><td>(1, 512, 2, 2)</td>" in page
