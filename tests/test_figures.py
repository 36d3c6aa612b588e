"""Tests of rnaapp.figures: every figure builds on a small real example and renders."""

from __future__ import annotations

import matplotlib.figure
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from rnaapp import figures
from rnaapp.evaluate import evaluate, pr_points, roc_points
from rnaapp.structure import duplex_diagram, hybridize

LET_7A = "UGAGGUAGUAGGUUGUAUAGUU"
LET_7A_TARGET = "GGCUUAGAUAAAAUGAAACUAUACAACCUACUACCUCAUU"
MIR_21 = "UAGCUUAUCAGACUGAUGUUGA"
MIR_21_TARGET = "AAGGCAUCAGUCCCAGAUAAGCUAUAAGC"  # bulges on both strands and two G:U pairs


def _texts(figure: matplotlib.figure.Figure) -> list[str]:
    return [text.get_text() for axes in figure.axes for text in axes.texts]


def test_column_positions_number_the_mirna_from_the_right():
    hybrid = hybridize(MIR_21, MIR_21_TARGET)
    lines = duplex_diagram(hybrid).lines
    target_positions, mirna_positions = figures._column_positions(lines, hybrid.target_start)
    for column, position in enumerate(mirna_positions):
        if position:
            assert MIR_21[position - 1] == (lines[2][column] + lines[3][column]).strip()
    for column, position in enumerate(target_positions):
        if position:
            assert MIR_21_TARGET[position - 1] == (lines[0][column] + lines[1][column]).strip()
    assert sorted(p for p in mirna_positions if p) == list(range(1, len(MIR_21) + 1))
    assert mirna_positions.index(1) > mirna_positions.index(8)  # the miRNA reads 3'->5' left to right


@pytest.mark.parametrize(("mirna", "target"), [(LET_7A, LET_7A_TARGET), (MIR_21, MIR_21_TARGET)])
def test_duplex_figure(mirna, target):
    hybrid = hybridize(mirna, target)
    figure = figures.duplex_figure(hybrid, title="example")
    assert isinstance(figure, matplotlib.figure.Figure)
    axes = figure.axes[0]
    assert f"{hybrid.energy:.1f} kcal/mol" in axes.get_title()
    texts = _texts(figure)
    assert {"target 5'", "miRNA 3'", "3'", "5'", "seed"} <= set(texts)
    bases = [text for text in axes.texts if len(text.get_text()) == 1 and text.get_text() in "ACGU"]
    assert len(bases) == len(mirna) + hybrid.target_end - hybrid.target_start + 1
    bold = [text for text in bases if text.get_fontweight() == "bold"]
    assert len(bold) == 2 * len(hybrid.pairs)
    assert len(axes.lines) == len(hybrid.pairs)  # one line per base pair
    wobbles = sum({mirna[m - 1], target[t - 1]} == {"G", "U"} for m, t in hybrid.pairs)
    assert sum(line.get_linestyle() == ":" for line in axes.lines) == wobbles
    assert figures.figure_bytes(figure, "png").startswith(b"\x89PNG")


def test_duplex_figure_without_pairs():
    hybrid = hybridize("AAAA", "AAAA")
    assert not hybrid.pairs
    figure = figures.duplex_figure(hybrid)
    assert any("no duplex" in text for text in _texts(figure))
    assert figures.figure_bytes(figure, "png").startswith(b"\x89PNG")


def test_attention_heatmap():
    rng = np.random.default_rng(0)
    mirna, target = LET_7A, LET_7A_TARGET[:12]
    attention = rng.random((len(mirna), len(target)))
    figure = figures.attention_heatmap(attention, mirna, target, target_offset=30, title="attention")
    assert isinstance(figure, go.Figure)
    (trace,) = figure.data
    assert trace.type == "heatmap"
    assert tuple(trace.y[:2]) == ("1 U", "2 G") and trace.x[0] == "31 G"
    assert trace.text[4][0] == f"miRNA 5 (G) × target 31 (G)<br>attention {attention[4, 0]:.3g}"
    assert figure.layout.yaxis.autorange == "reversed"

    image = figures.attention_heatmap_image(attention, mirna, target, target_offset=30)
    assert isinstance(image, matplotlib.figure.Figure)
    assert figures.figure_bytes(image, "svg").lstrip().startswith(b"<?xml")


@pytest.mark.parametrize("build", [figures.attention_heatmap, figures.attention_heatmap_image])
def test_attention_shape_mismatch(build):
    with pytest.raises(ValueError, match=r"shape \(3, 4\).*\(22, 5\)"):
        build(np.zeros((3, 4)), LET_7A, "ACGUA")


def test_tick_step():
    assert [figures._tick_step(count, 10) for count in (5, 10, 11, 30, 60, 1000)] == [1, 1, 2, 5, 10, 100]


@pytest.fixture
def evaluations():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 60)
    return {
        "good": evaluate(labels, np.clip(labels * 0.6 + rng.random(60) * 0.4, 0, 1)),
        "random": evaluate(labels, rng.random(60)),
    }


def test_roc_and_pr_figures(evaluations):
    rocs = {name: evaluation.roc for name, evaluation in evaluations.items()}
    prs = {name: evaluation.pr for name, evaluation in evaluations.items()}
    aucs = {name: evaluation.metrics["AUC"] for name, evaluation in evaluations.items()}
    auprs = {name: evaluation.metrics["AUPR"] for name, evaluation in evaluations.items()}

    roc = figures.roc_figure(rocs, aucs)
    assert [trace.name for trace in roc.data] == [
        "chance",
        f"good (AUC {aucs['good']:.3f})",
        f"random (AUC {aucs['random']:.3f})",
    ]
    assert list(roc.layout.xaxis.range) == [0, 1]
    points = {"good": (0.1, 0.9), "random": (0.5, 0.5)}
    assert len(figures.roc_figure(rocs, aucs, operating_points=points).data) == 5

    pr = figures.pr_figure(prs, auprs, operating_points={"good": (0.9, 0.95)})
    assert len(pr.data) == 3
    assert pr.data[0].name == f"good (AUPR {auprs['good']:.3f})"
    assert figures.pr_figure(prs).data[1].name == "random"

    image = figures.curves_image(rocs, prs, aucs, auprs)
    assert len(image.axes) == 2
    assert figures.figure_bytes(image, "png").startswith(b"\x89PNG")


def test_curve_frames_from_evaluate_functions():
    rng = np.random.default_rng(2)
    labels, probabilities = rng.integers(0, 2, 30), rng.random(30)
    roc = figures.roc_figure({"m": roc_points(labels, probabilities)}, {"m": float("nan")})
    assert roc.data[1].name == "m (AUC n/a)"
    assert len(figures.pr_figure({"m": pr_points(labels, probabilities)}).data) == 1
    with pytest.raises(ValueError, match="tpr"):
        figures.roc_figure({"m": pr_points(labels, probabilities)})


def test_confusion_figure(evaluations):
    matrix = evaluations["good"].confusion
    figure = figures.confusion_figure(matrix, title="good at 0.5")
    (trace,) = figure.data
    assert trace.type == "heatmap"
    positives = matrix.tp + matrix.fn
    assert trace.text[0][0] == f"TP {matrix.tp}<br>{matrix.tp / positives:.1%}"
    assert trace.text[1][1].startswith(f"TN {matrix.tn}<br>")
    assert list(trace.y) == ["actual positive", "actual negative"]


def test_confusion_figure_with_an_empty_row():
    from rnaapp.evaluate import ConfusionMatrix

    figure = figures.confusion_figure(ConfusionMatrix(tp=3, fp=0, tn=0, fn=1), title="no negatives")
    assert figure.data[0].text[1][1] == "TN 0<br>–"


def test_training_curves():
    history = [
        {
            "epoch": 1,
            "train_loss": 0.7,
            "valid_loss": 0.6,
            "valid_auc": 0.7,
            "valid_acc": 0.6,
            "seconds": 1.0,
        },
        {
            "epoch": 2,
            "train_loss": 0.5,
            "valid_loss": 0.5,
            "valid_auc": 0.8,
            "valid_acc": 0.7,
            "seconds": 1.0,
        },
    ]
    figure = figures.training_curves(history)
    assert [trace.name for trace in figure.data] == ["training loss", "validation loss", "AUC", "ACC"]
    assert list(figure.data[2].y) == [0.7, 0.8]
    plain = figures.training_curves([{"epoch": 1, "train_loss": 0.7, "AUC": float("nan"), "F1": 0.5}])
    assert [trace.name for trace in plain.data] == ["training loss", "F1"]
    empty = figures.training_curves([])
    assert not empty.data
    assert empty.layout.annotations[0].text == "no epoch finished yet"


def test_site_map_figure():
    sites = pd.DataFrame(
        {
            "start": [10, 40, 90],
            "end": [18, 47, 96],
            "site_type": ["8mer", "6mer", "8mer"],
            "probability": [0.9, 0.4, 0.7],
        }
    )
    figure = figures.site_map_figure(120, sites, title="scan")
    assert len(figure.data) == 1 + 2 * 2  # transcript, then stems and markers per site type
    markers = [trace for trace in figure.data if trace.mode == "markers"]
    assert [trace.name for trace in markers] == ["8mer", "6mer"]
    assert list(markers[0].y) == [0.9, 0.7]
    assert markers[0].text[0] == "8mer at 11–18<br>probability 0.900"
    empty = figures.site_map_figure(120, sites.iloc[:0])
    assert len(empty.data) == 1 and empty.layout.annotations[0].text == "no candidate sites"
    unscored = figures.site_map_figure(
        120, sites.drop(columns="probability").assign(site_type=["8mer", "6mer", "x"])
    )
    markers = [trace for trace in unscored.data if trace.mode == "markers"]
    assert [(trace.name, list(trace.y)) for trace in markers] == [
        ("8mer", [1.0]),
        ("6mer", [0.4]),
        ("x", [0.1]),
    ]
    assert (
        markers[0].text[0] == "8mer at 11–18"
        and unscored.layout.yaxis.title.text == "site strength (8mer = 1)"
    )
    with pytest.raises(ValueError, match="site_type"):
        figures.site_map_figure(120, sites.drop(columns="site_type"))


def test_figure_bytes_rejects_other_formats():
    figure = figures.duplex_figure(hybridize(LET_7A, LET_7A_TARGET))
    assert b"<svg" in figures.figure_bytes(figure, "SVG")
    with pytest.raises(ValueError, match="pdf"):
        figures.figure_bytes(figure, "pdf")


def test_reliability_figure(evaluations):
    figure = figures.reliability_figure(evaluations)
    assert isinstance(figure, go.Figure)
    diagonal, good, random = figure.data
    assert diagonal.name == "perfectly calibrated"
    assert list(diagonal.x) == [0, 1] and list(diagonal.y) == [0, 1] and diagonal.line.dash == "dash"
    eces = {name: evaluation.metrics["ECE"] for name, evaluation in evaluations.items()}
    assert good.name == f"good (ECE {eces['good']:.3f})"
    assert random.name == f"random (ECE {eces['random']:.3f})"
    table = evaluations["good"].reliability
    np.testing.assert_allclose(good.x, table["mean_probability"])
    np.testing.assert_allclose(good.y, table["observed"])
    # Hover names the bin and its pairs; bigger bins get bigger markers.
    counts = np.asarray(good.customdata)[:, 2]
    np.testing.assert_array_equal(counts, table["n"])
    assert "pairs %{customdata[2]" in good.hovertemplate and "observed %{y" in good.hovertemplate
    sizes = np.asarray(good.marker.size)
    assert sizes[np.argmax(counts)] == sizes.max() and sizes[np.argmin(counts)] == sizes.min()
    assert list(figure.layout.xaxis.range) == [0, 1]
    assert figure.layout.xaxis.title.text == "mean predicted probability"

    # Tables work as well as Evaluations: the legend's ECE is computed from the table, or given.
    tables = {name: evaluation.reliability for name, evaluation in evaluations.items()}
    from_tables = figures.reliability_figure(tables)
    assert [trace.name for trace in from_tables.data] == [trace.name for trace in figure.data]
    given = figures.reliability_figure(tables, {"good": 0.5})
    assert given.data[1].name == "good (ECE 0.500)" and given.data[2].name == random.name


def test_reliability_figure_edge_cases():
    one_bin = pd.DataFrame(
        {
            "bin_low": [0.9],
            "bin_high": [1.0],
            "n": [4],
            "mean_probability": [0.95],
            "observed": [0.5],
            "gap": [-0.45],
        }
    )
    figure = figures.reliability_figure({"m": one_bin})
    assert figure.data[1].name == "m (ECE 0.450)"
    empty = one_bin.iloc[:0]
    assert figures.reliability_figure({"m": empty}).data[1].name == "m (ECE n/a)"
    assert len(figures.reliability_figure({}).data) == 1  # the diagonal only
    with pytest.raises(ValueError, match="observed"):
        figures.reliability_figure({"m": one_bin.drop(columns="observed")})
