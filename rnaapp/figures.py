"""Figures shown by the app: interactive plotly figures and matplotlib figures for PNG/SVG export.

Interactive figures are :class:`plotly.graph_objects.Figure`. Exportable images are
:class:`matplotlib.figure.Figure` objects created directly (never through ``pyplot``), so building them
is thread-safe, needs no display and leaves no global state behind; :func:`figure_bytes` renders them.

Positions shown to the user are 1-based; sequences are RNA written 5'->3'.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import matplotlib.figure
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from rnaapp.metrics import ConfusionMatrix, Evaluation
from rnaapp.sites import SITE_RANK, SITE_TYPES
from rnaapp.structure import Hybrid, duplex_diagram

__all__ = [
    "BASE_COLOURS",
    "SITE_TYPE_COLOURS",
    "attention_heatmap",
    "attention_heatmap_image",
    "confusion_figure",
    "curves_image",
    "duplex_figure",
    "figure_bytes",
    "pr_figure",
    "reliability_figure",
    "roc_figure",
    "site_map_figure",
    "training_curves",
]

#: Colour of each nucleotide, shared by every figure that shows bases.
BASE_COLOURS = {"A": "#1a9850", "C": "#2166ac", "G": "#e08214", "U": "#d73027", "T": "#d73027"}
_OTHER_BASE_COLOUR = "#7f7f7f"

#: Colour of each canonical site type (strongest first); other types are grey.
SITE_TYPE_COLOURS = dict(
    zip(SITE_TYPES, ("#b2182b", "#ef8a62", "#e6ab02", "#67a9cf", "#2166ac"), strict=True)
)

#: miRNA seed, 1-based inclusive.
SEED_POSITIONS = (2, 8)

_MODEL_COLOURS = qualitative.Plotly
_MONOSPACE = "DejaVu Sans Mono"


def _base_colour(base: str) -> str:
    return BASE_COLOURS.get(base.upper(), _OTHER_BASE_COLOUR)


def _format_score(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def _empty_plotly(note: str, **layout) -> go.Figure:
    """A figure with no data and a centred ``note``."""
    figure = go.Figure()
    figure.add_annotation(text=note, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    figure.update_layout(xaxis_visible=False, yaxis_visible=False, **layout)
    return figure


# ----------------------------------------------------------------------------------------------------------
# Duplex
# ----------------------------------------------------------------------------------------------------------


def _column_positions(lines: tuple[str, str, str, str], target_start: int) -> tuple[list[int], list[int]]:
    """1-based target and miRNA position drawn in each diagram column (0 where a column has none).

    The target reads 5'->3' left to right over lines 0-1, the miRNA 3'->5' over lines 2-3, so the miRNA is
    numbered from the rightmost column.
    """
    target_unpaired, target_paired, mirna_paired, mirna_unpaired = lines
    target_positions, mirna_positions = [], [0] * len(target_unpaired)
    position = target_start
    for unpaired, paired in zip(target_unpaired, target_paired, strict=True):
        has_base = unpaired != " " or paired != " "
        target_positions.append(position if has_base else 0)
        position += has_base
    position = 1
    for column in reversed(range(len(mirna_paired))):
        if mirna_paired[column] != " " or mirna_unpaired[column] != " ":
            mirna_positions[column] = position
            position += 1
    return target_positions, mirna_positions


def duplex_figure(hybrid: Hybrid, *, title: str | None = None) -> matplotlib.figure.Figure:
    """Draw a miRNA-target duplex as coloured bases, RNAhybrid-style.

    The target runs 5'->3' along the top two rows, the miRNA 3'->5' along the bottom two; paired bases
    (bold) face each other on the middle rows, joined by a solid line (Watson-Crick) or a dotted line
    (G:U wobble), and unpaired bases sit on the outer rows, as in :func:`rnaapp.structure.duplex_diagram`.
    The miRNA seed (positions 2-8) is shaded, the first and last target positions are numbered and the
    duplex free energy is in the title.

    Parameters
    ----------
    hybrid
        A duplex from :func:`rnaapp.structure.hybridize`.
    title
        Text put before the free energy in the title, e.g. ``"hsa-let-7a-5p : lin-41"``.

    Returns
    -------
    matplotlib.figure.Figure
        Render it with :func:`figure_bytes`. A hybrid without base pairs gives a small figure saying
        "no duplex".
    """
    if not hybrid.pairs:
        figure = matplotlib.figure.Figure(figsize=(4.0, 1.6), layout="constrained")
        axes = figure.subplots()
        axes.set_axis_off()
        if title:
            axes.set_title(title)
        axes.text(0.5, 0.5, "no duplex\n(no base pair can form)", ha="center", va="center", color="0.35")
        return figure

    heading = f"ΔG = {hybrid.energy:.1f} kcal/mol"
    heading = f"{title}\n{heading}" if title else heading
    lines = duplex_diagram(hybrid).lines
    columns = len(lines[0])
    target_positions, mirna_positions = _column_positions(lines, hybrid.target_start)
    rows_y = (3.0, 2.0, 0.6, -0.4)  # target unpaired, target paired, miRNA paired, miRNA unpaired
    label_width = 5.0  # in columns, for "target 5'"
    figure = matplotlib.figure.Figure(
        figsize=(0.22 * (columns + label_width + 2.5), 3.0), layout="constrained"
    )
    axes = figure.subplots()
    axes.set_axis_off()
    axes.set_xlim(-label_width - 0.5, columns + 1.5)
    axes.set_ylim(-1.5, 3.9)
    axes.set_title(heading, fontsize=11)

    seed_columns = [c for c, p in enumerate(mirna_positions) if SEED_POSITIONS[0] <= p <= SEED_POSITIONS[1]]
    seed_colour = "#fff0a0"
    if seed_columns:
        first, last = min(seed_columns), max(seed_columns)
        axes.add_patch(
            Rectangle((first - 0.5, -0.85), last - first + 1, 1.95, color=seed_colour, zorder=0, linewidth=0)
        )
        axes.text((first + last) / 2, -1.15, "seed", ha="center", va="center", fontsize=8, color="0.4")

    for row, (line, y) in enumerate(zip(lines, rows_y, strict=True)):
        paired_row = row in (1, 2)
        for column, base in enumerate(line):
            if base != " ":
                axes.text(
                    column, y, base, ha="center", va="center", fontsize=13, family=_MONOSPACE,
                    fontweight="bold" if paired_row else "normal", color=_base_colour(base),
                )  # fmt: skip
    for column, (target_base, mirna_base) in enumerate(zip(lines[1], lines[2], strict=True)):
        if target_base != " " and mirna_base != " ":
            wobble = {target_base, mirna_base} == {"G", "U"}
            axes.plot(
                [column, column], [rows_y[1] - 0.35, rows_y[2] + 0.35], color="0.3",
                linestyle=":" if wobble else "-", linewidth=1.6 if wobble else 1.2,
            )  # fmt: skip

    label_style = {"va": "center", "fontsize": 10, "family": _MONOSPACE}
    axes.text(-1.0, rows_y[0], "target 5'", ha="right", **label_style)
    axes.text(columns, rows_y[0], "3'", ha="left", **label_style)
    axes.text(-1.0, rows_y[3], "miRNA 3'", ha="right", **label_style)
    axes.text(columns, rows_y[3], "5'", ha="left", **label_style)
    numbered = [c for c, p in enumerate(target_positions) if p]
    for column in (numbered[0], numbered[-1]):
        y = rows_y[0] if lines[0][column] != " " else rows_y[1]
        axes.text(column, y + 0.55, str(target_positions[column]), ha="center", fontsize=7, color="0.45")

    handles = [
        Line2D([], [], color="0.3", linewidth=1.2, label="Watson–Crick pair"),
        Line2D([], [], color="0.3", linewidth=1.6, linestyle=":", label="G:U wobble"),
        Patch(color=seed_colour, label=f"seed (miRNA {SEED_POSITIONS[0]}–{SEED_POSITIONS[1]})"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return figure


# ----------------------------------------------------------------------------------------------------------
# Attention
# ----------------------------------------------------------------------------------------------------------


def _check_attention(attention: np.ndarray, mirna: str, target: str) -> np.ndarray:
    attention = np.asarray(attention, dtype=float)
    expected = (len(mirna), len(target))
    if attention.shape != expected:
        raise ValueError(
            f"attention has shape {attention.shape} but the miRNA has {len(mirna)} nt and the target "
            f"{len(target)} nt: expected shape {expected}"
        )
    return attention


def attention_heatmap(
    attention: np.ndarray,
    mirna: str,
    target: str,
    *,
    target_offset: int = 0,
    title: str | None = None,
) -> go.Figure:
    """Interactive heatmap of a model's attention between miRNA and target nucleotides.

    Parameters
    ----------
    attention
        Shape ``(len(mirna), len(target))``; entry ``[i, j]`` is the weight of miRNA nucleotide ``i``
        on target nucleotide ``j`` (0-based).
    mirna
        miRNA, 5'->3'; one row per nucleotide, 5' end at the top.
    target
        Target stretch, 5'->3'; one column per nucleotide.
    target_offset
        Added to the 1-based target positions in labels, for a stretch cut out of a longer target.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap trace; rows labelled like ``"5 G"``, hover text naming both bases and positions.

    Raises
    ------
    ValueError
        If ``attention`` does not have shape ``(len(mirna), len(target))``.
    """
    attention = _check_attention(attention, mirna, target)
    mirna_positions = range(1, len(mirna) + 1)
    target_positions = range(1 + target_offset, len(target) + 1 + target_offset)
    hover = [
        [
            f"miRNA {i} ({m}) × target {j} ({t})<br>attention {value:.3g}"
            for j, t, value in zip(target_positions, target, row, strict=True)
        ]
        for i, m, row in zip(mirna_positions, mirna, attention, strict=True)
    ]
    mirna_labels = [f"{i} {m}" for i, m in zip(mirna_positions, mirna, strict=True)]
    target_labels = [f"{j} {t}" for j, t in zip(target_positions, target, strict=True)]
    figure = go.Figure(
        go.Heatmap(
            z=attention,
            x=target_labels,
            y=mirna_labels,
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            colorscale="Viridis",
            colorbar={"title": {"text": "attention"}},
        )
    )
    figure.update_layout(
        title=title,
        xaxis={"title": {"text": "target position (5'→3')"}, "type": "category"},
        yaxis={"title": {"text": "miRNA position (5'→3')"}, "type": "category", "autorange": "reversed"},
        height=max(320, 18 * len(mirna) + 180),
    )
    return figure


def mutagenesis_heatmap(result, *, title: str | None = None) -> go.Figure:
    """Saturation mutagenesis as a heatmap: position x base, coloured by the change of score.

    Parameters
    ----------
    result : rnaapp.mutagenesis.Mutagenesis
        The substitutions of one pair (:func:`rnaapp.mutagenesis.saturation_mutagenesis`).
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap (rows A, C, G, U; columns the mutated positions, labelled ``"17 U"`` with the reference
        base), diverging colours centred at 0 (red = the substitution weakens the interaction); the
        reference base's cell is empty. Hover names the mutant's score, probability, best site type and
        site change. The seed match (target: the reference's best canonical site; miRNA: positions 2-8) is
        outlined.
    """
    from rnaapp.mutagenesis import NUCLEOTIDES

    table = result.table
    start, end = result.region
    sequence = result.sequence
    positions = list(range(start + 1, end + 1))
    labels = [f"{position} {sequence[position - 1]}" for position in positions]
    column = {position: index for index, position in enumerate(positions)}
    row = {base: index for index, base in enumerate(NUCLEOTIDES)}
    z = np.full((len(NUCLEOTIDES), len(positions)), np.nan)
    hover = [[f"{label}: reference base" for label in labels] for _ in NUCLEOTIDES]
    for item in table.itertuples(index=False):
        i, j = row.get(item.alt), column[item.position]
        if i is None:
            continue
        z[i, j] = item.delta
        change = f"<br>{item.site_change}" if item.site_change else ""
        hover[i][j] = (
            f"{item.ref}{item.position}{item.alt}: score {item.score:.2f} (Δ {item.delta:+.2f}), "
            f"probability {item.probability:.3f}<br>best site {item.site_type}{change}"
        )
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=list(NUCLEOTIDES),
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            colorscale="RdBu",
            zmid=0.0,
            zmin=-limit,
            zmax=limit,
            colorbar={"title": {"text": "Δ score"}},
        )
    )
    if result.seed_match is not None:
        first, last = result.seed_match  # 0-based, end-exclusive on the mutated sequence
        shown = [index for index, position in enumerate(positions) if first < position <= last]
        if shown:
            figure.add_shape(
                type="rect",
                xref="x",
                yref="paper",
                x0=shown[0] - 0.5,
                x1=shown[-1] + 0.5,
                y0=0,
                y1=1,
                line={"color": "black", "width": 2},
                fillcolor="rgba(0,0,0,0)",
            )
            figure.add_annotation(
                x=(shown[0] + shown[-1]) / 2,
                y=1.0,
                xref="x",
                yref="paper",
                yanchor="bottom",
                text="seed match" if result.molecule == "target" else "seed (2-8)",
                showarrow=False,
            )
    what = "target" if result.molecule == "target" else "miRNA"
    figure.update_layout(
        title=title,
        xaxis={"title": {"text": f"{what} position (5'→3') and reference base"}, "type": "category"},
        yaxis={"title": {"text": "substituted base"}, "type": "category"},
        height=320,
    )
    return figure


def _tick_step(count: int, most: int) -> int:
    """Smallest of 1, 2, 5, 10, 20, 50, ... that shows at most ``most`` of ``count`` ticks."""
    step = 1
    while math.ceil(count / step) > most:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return step


def attention_heatmap_image(
    attention: np.ndarray,
    mirna: str,
    target: str,
    *,
    target_offset: int = 0,
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """Static version of :func:`attention_heatmap` for PNG/SVG export.

    Rows are miRNA nucleotides (5' at the top), labelled with position and base; the bottom axis numbers
    the target positions and the top axis shows the target bases (when there are at most 120). Base
    letters are coloured as in every figure (:data:`BASE_COLOURS`).

    Parameters
    ----------
    attention
        Shape ``(len(mirna), len(target))``.
    mirna, target
        Sequences, 5'->3'.
    target_offset
        Added to the 1-based target positions in labels.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``attention`` does not have shape ``(len(mirna), len(target))``.
    """
    attention = _check_attention(attention, mirna, target)
    rows, columns = attention.shape
    width = min(max(5.0, 0.16 * columns + 2.5), 16.0)  # inches; long targets are squeezed
    figure = matplotlib.figure.Figure(figsize=(width, 0.2 * rows + 2.0), layout="constrained")
    axes = figure.subplots()
    image = axes.imshow(attention, aspect="auto", cmap="viridis", interpolation="nearest")
    figure.colorbar(image, ax=axes, label="attention", fraction=0.04, pad=0.01)
    axes.set_yticks(range(rows), [f"{position} {base}" for position, base in enumerate(mirna, start=1)])
    for label, base in zip(axes.get_yticklabels(), mirna, strict=True):
        label.set(color=_base_colour(base), family=_MONOSPACE, fontsize=8)
    step = _tick_step(columns, max(2, int((width - 2.5) / 0.45)))  # about 0.45 inch per position label
    ticks = [c for c in range(columns) if (c + 1 + target_offset) % step == 0] if step > 1 else range(columns)
    axes.set_xticks(ticks, [str(c + 1 + target_offset) for c in ticks], fontsize=7)
    axes.set_xlabel("target position")
    axes.set_ylabel("miRNA (5'→3')")
    if columns <= 120:
        top = axes.secondary_xaxis("top")
        top.set_xticks(range(columns), list(target))
        top.tick_params(length=0, labelsize=8 if columns <= 80 else 6)
        for label, base in zip(top.get_xticklabels(), target, strict=True):
            label.set(color=_base_colour(base), family=_MONOSPACE)
    if title:
        axes.set_title(title)
    return figure


# ----------------------------------------------------------------------------------------------------------
# Evaluation curves and confusion matrix
# ----------------------------------------------------------------------------------------------------------


def _diagonal(name: str) -> go.Scatter:
    """The dashed grey y = x line of ROC (chance) and reliability (perfect calibration) figures."""
    return go.Scatter(
        x=[0, 1], y=[0, 1], mode="lines", name=name, hoverinfo="skip",
        line={"dash": "dash", "color": "#aaaaaa", "width": 1},
    )  # fmt: skip


def _curve_figure(
    curves: Mapping[str, pd.DataFrame],
    scores: Mapping[str, float] | None,
    operating_points: Mapping[str, tuple[float, float]] | None,
    *,
    x: str,
    y: str,
    score_name: str,
    axis_titles: tuple[str, str],
    title: str,
    line_shape: str,
) -> go.Figure:
    figure = go.Figure()
    if x == "fpr":
        figure.add_trace(_diagonal("chance"))
    for index, (name, frame) in enumerate(curves.items()):
        missing = [column for column in (x, y, "threshold") if column not in frame]
        if missing:
            raise ValueError(f"curve {name!r} has no column(s) {missing}; it has {list(frame.columns)}")
        colour = _MODEL_COLOURS[index % len(_MODEL_COLOURS)]
        label = f"{name} ({score_name} {_format_score(scores[name])})" if scores and name in scores else name
        thresholds = frame["threshold"].to_numpy(dtype=float)
        figure.add_trace(
            go.Scatter(
                x=frame[x], y=frame[y], mode="lines", name=label, legendgroup=name, line_shape=line_shape,
                line={"color": colour, "width": 2},
                customdata=np.where(np.isfinite(thresholds), thresholds, np.nan),
                hovertemplate=f"{name}<br>{axis_titles[0]} %{{x:.3f}}<br>{axis_titles[1]} %{{y:.3f}}"
                "<br>threshold %{customdata:.3f}<extra></extra>",
            )
        )  # fmt: skip
        if operating_points and name in operating_points:
            point_x, point_y = operating_points[name]
            figure.add_trace(
                go.Scatter(
                    x=[point_x], y=[point_y], mode="markers", name=f"{name} at threshold", legendgroup=name,
                    showlegend=False, marker={"color": colour, "size": 11, "line": {"color": "white", "width": 1.5}},
                    hovertemplate=f"{name} at the chosen threshold<br>{axis_titles[0]} %{{x:.3f}}"
                    f"<br>{axis_titles[1]} %{{y:.3f}}<extra></extra>",
                )
            )  # fmt: skip
    figure.update_layout(
        title=title,
        xaxis={"title": {"text": axis_titles[0]}, "range": [0, 1], "constrain": "domain"},
        yaxis={"title": {"text": axis_titles[1]}, "range": [0, 1.02], "scaleanchor": "x", "constrain": "domain"},
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.16, "yanchor": "top"},
        margin={"b": 150},
        width=560,
        height=640,
    )  # fmt: skip
    return figure


def roc_figure(
    curves: Mapping[str, pd.DataFrame],
    aucs: Mapping[str, float] | None = None,
    *,
    operating_points: Mapping[str, tuple[float, float]] | None = None,
) -> go.Figure:
    """ROC curves of several models overlaid, with the chance diagonal.

    Parameters
    ----------
    curves
        Model name to its :func:`rnaapp.metrics.roc_points` frame (columns ``fpr``, ``tpr``,
        ``threshold``).
    aucs
        Model name to its AUC, shown in the legend as ``"name (AUC 0.993)"``.
    operating_points
        Model name to the ``(fpr, tpr)`` at the chosen decision threshold, drawn as a marker.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: the chance line, then per model its curve and (if given) its operating point.
    """
    return _curve_figure(
        curves, aucs, operating_points, x="fpr", y="tpr", score_name="AUC",
        axis_titles=("false-positive rate", "true-positive rate"), title="ROC curve", line_shape="linear",
    )  # fmt: skip


def pr_figure(
    curves: Mapping[str, pd.DataFrame],
    auprs: Mapping[str, float] | None = None,
    *,
    operating_points: Mapping[str, tuple[float, float]] | None = None,
) -> go.Figure:
    """Precision-recall curves of several models overlaid.

    Drawn step-wise, as average precision (``AUPR``) integrates them.

    Parameters
    ----------
    curves
        Model name to its :func:`rnaapp.metrics.pr_points` frame (columns ``recall``, ``precision``,
        ``threshold``).
    auprs
        Model name to its AUPR, shown in the legend as ``"name (AUPR 0.912)"``.
    operating_points
        Model name to the ``(recall, precision)`` at the chosen decision threshold, drawn as a marker.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: per model its curve and (if given) its operating point.
    """
    return _curve_figure(
        curves, auprs, operating_points, x="recall", y="precision", score_name="AUPR",
        axis_titles=("recall", "precision"), title="Precision–recall curve", line_shape="vh",
    )  # fmt: skip


_RELIABILITY_COLUMNS = ("bin_low", "bin_high", "n", "mean_probability", "observed")


def _table_ece(table: pd.DataFrame) -> float:
    """The weighted mean ``|observed - predicted|`` of a reliability table (NaN for no pairs)."""
    total = float(table["n"].sum())
    if total == 0:
        return math.nan
    return float((table["n"] * (table["observed"] - table["mean_probability"]).abs()).sum() / total)


def reliability_figure(
    tables: Mapping[str, pd.DataFrame | Evaluation],
    eces: Mapping[str, float] | None = None,
) -> go.Figure:
    """Reliability diagrams of several models overlaid, with the diagonal of perfect calibration.

    Each model's point per probability bin is at the bin's mean predicted probability (x) and observed
    share of positives (y): on the diagonal where the probabilities mean what they say, below it where the
    model gives interactions more probability than they turn out to have, above it where it gives less.

    Parameters
    ----------
    tables
        Model name to its :func:`rnaapp.scoring.calibration.reliability_table` frame (columns ``bin_low``,
        ``bin_high``, ``n``, ``mean_probability``, ``observed``) or to its
        :class:`rnaapp.metrics.Evaluation` (its ``reliability`` table and ``metrics["ECE"]``).
    eces
        Model name to its expected calibration error, shown in the legend as ``"name (ECE 0.042)"``. A model
        missing here takes ``metrics["ECE"]`` of its Evaluation, or the ``n``-weighted mean
        ``|observed - mean_probability|`` of its table (the same number).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: the diagonal, then one per model: a point per non-empty bin, its area growing with the bin's
        number of pairs, joined by a line; hovering shows the bin, its pairs, predicted and observed.

    Raises
    ------
    ValueError
        If a table lacks one of the columns above.
    """
    figure = go.Figure()
    figure.add_trace(_diagonal("perfectly calibrated"))
    for index, (name, value) in enumerate(tables.items()):
        if isinstance(value, Evaluation):
            table, ece = value.reliability, float(value.metrics.get("ECE", math.nan))
        else:
            table, ece = value, math.nan
        missing = [column for column in _RELIABILITY_COLUMNS if column not in table]
        if missing:
            raise ValueError(f"table {name!r} has no column(s) {missing}; it has {list(table.columns)}")
        if eces and name in eces:
            ece = float(eces[name])
        elif math.isnan(ece):
            ece = _table_ece(table)
        colour = _MODEL_COLOURS[index % len(_MODEL_COLOURS)]
        counts = table["n"].to_numpy(dtype=float)
        # Marker diameter 6 px plus up to 16 px growing with sqrt(pairs), so the area follows the count.
        sizes = 6.0 + 16.0 * np.sqrt(counts / counts.max()) if counts.size and counts.max() > 0 else 8.0
        figure.add_trace(
            go.Scatter(
                x=table["mean_probability"], y=table["observed"], mode="lines+markers",
                name=f"{name} (ECE {_format_score(ece)})", legendgroup=name,
                line={"color": colour, "width": 1.5}, marker={"color": colour, "size": sizes, "opacity": 0.85},
                customdata=np.column_stack(
                    [table["bin_low"].to_numpy(float), table["bin_high"].to_numpy(float), counts]
                ) if len(table) else None,
                hovertemplate=f"{name}<br>bin %{{customdata[0]:.1f}}–%{{customdata[1]:.1f}}"
                "<br>pairs %{customdata[2]:,.0f}<br>mean predicted %{x:.3f}<br>observed %{y:.3f}"
                "<extra></extra>",
            )
        )  # fmt: skip
    figure.update_layout(
        title="Calibration (reliability diagram)",
        xaxis={"title": {"text": "mean predicted probability"}, "range": [0, 1], "constrain": "domain"},
        yaxis={"title": {"text": "observed share of interactions"}, "range": [0, 1.02], "scaleanchor": "x",
               "constrain": "domain"},
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.16, "yanchor": "top"},
        margin={"b": 150},
        width=560,
        height=640,
    )  # fmt: skip
    return figure


def curves_image(
    curves_roc: Mapping[str, pd.DataFrame],
    curves_pr: Mapping[str, pd.DataFrame],
    aucs: Mapping[str, float] | None = None,
    auprs: Mapping[str, float] | None = None,
) -> matplotlib.figure.Figure:
    """ROC and precision-recall panels side by side, for PNG/SVG export.

    Parameters
    ----------
    curves_roc
        Model name to its :func:`rnaapp.metrics.roc_points` frame.
    curves_pr
        Model name to its :func:`rnaapp.metrics.pr_points` frame.
    aucs, auprs
        Model name to its AUC / AUPR, for the legends.

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = matplotlib.figure.Figure(figsize=(10.0, 4.8), layout="constrained")
    roc_axes, pr_axes = figure.subplots(1, 2)
    roc_axes.plot([0, 1], [0, 1], linestyle="--", color="0.6", linewidth=1.0, label="chance")
    for index, (name, frame) in enumerate(curves_roc.items()):
        label = f"{name} (AUC {_format_score(aucs[name])})" if aucs and name in aucs else name
        roc_axes.plot(frame["fpr"], frame["tpr"], color=f"C{index}", label=label)
    for index, (name, frame) in enumerate(curves_pr.items()):
        label = f"{name} (AUPR {_format_score(auprs[name])})" if auprs and name in auprs else name
        pr_axes.plot(
            frame["recall"], frame["precision"], color=f"C{index}", drawstyle="steps-pre", label=label
        )
    roc_axes.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC curve")
    pr_axes.set(xlabel="recall", ylabel="precision", title="Precision–recall curve")
    for axes, location in ((roc_axes, "lower right"), (pr_axes, "lower left")):
        axes.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal")
        axes.grid(alpha=0.3)
        axes.legend(loc=location, fontsize="small")
    return figure


def confusion_figure(matrix: ConfusionMatrix, *, title: str) -> go.Figure:
    """Annotated 2x2 confusion matrix.

    Rows are the actual classes (positive on top), columns the predicted ones. Each cell shows its
    count and its share of the row (e.g. the sensitivity in the true-positive cell) and is shaded by
    that share, so that unbalanced classes stay readable.

    Parameters
    ----------
    matrix
        Counts, e.g. :attr:`rnaapp.metrics.Evaluation.confusion`.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap trace.
    """
    classes = ("positive", "negative")
    counts = np.array([[matrix.tp, matrix.fn], [matrix.fp, matrix.tn]])
    names = (("TP", "FN"), ("FP", "TN"))
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    text = [
        [
            f"{names[r][c]} {counts[r, c]:,}<br>{shares[r, c]:.1%}"
            if totals[r, 0]
            else f"{names[r][c]} 0<br>–"
            for c in range(2)
        ]
        for r in range(2)
    ]
    hover = [
        [
            f"actual {classes[r]}, predicted {classes[c]}<br>{names[r][c]} = {counts[r, c]:,}"
            f" ({shares[r, c]:.1%} of {totals[r, 0]:,} actual {classes[r]}s)"
            for c in range(2)
        ]
        for r in range(2)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=shares, x=[f"predicted<br>{c}" for c in classes], y=[f"actual {c}" for c in classes],
            text=text, texttemplate="%{text}", textfont={"size": 16}, customdata=hover,
            hovertemplate="%{customdata}<extra></extra>", colorscale="Blues", zmin=0, zmax=1, showscale=False,
        )
    )  # fmt: skip
    figure.update_layout(
        title={"text": title, "y": 0.98, "yanchor": "top"},
        yaxis={"autorange": "reversed"},
        xaxis={"side": "top", "tickangle": 0},
        margin={"t": 110},
        width=420,
        height=420,
    )
    return figure


# ----------------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------------

_LOSS_NAMES = {"train_loss": "training loss", "valid_loss": "validation loss"}
_NOT_METRICS = {"epoch", "seconds", "improved", *_LOSS_NAMES}


def training_curves(history: Sequence[Mapping[str, float]]) -> go.Figure:
    """Losses and validation metrics per epoch, in two panels.

    Parameters
    ----------
    history
        One mapping per finished epoch with ``epoch``, ``train_loss`` and, with a validation set,
        ``valid_loss`` and metrics (``AUC``, ``ACC``, ... or the ``valid_auc``, ``valid_acc``, ... that
        :func:`rnaapp.train.fit` records). Missing or ``None`` values are left out.

    Returns
    -------
    plotly.graph_objects.Figure
        Left panel: one trace per loss; right panel: one trace per metric. An empty history gives an
        empty figure saying "no epoch finished yet".
    """
    if not history:
        return _empty_plotly("no epoch finished yet", height=360)
    figure = make_subplots(rows=1, cols=2, subplot_titles=("loss", "validation metrics"))
    metric_keys = list(dict.fromkeys(key for row in history for key in row if key not in _NOT_METRICS))

    def series(key: str) -> tuple[list[float], list[float]]:
        points = [
            (row["epoch"], float(row[key]))
            for row in history
            if row.get(key) is not None and not math.isnan(float(row[key]))
        ]
        return [epoch for epoch, _ in points], [value for _, value in points]

    for column, keys in ((1, list(_LOSS_NAMES)), (2, metric_keys)):
        for key in keys:
            epochs, values = series(key)
            if epochs:
                name = _LOSS_NAMES.get(key) or key.removeprefix("valid_").upper()
                figure.add_trace(
                    go.Scatter(x=epochs, y=values, mode="lines+markers", name=name), row=1, col=column
                )
    figure.update_xaxes(title_text="epoch", dtick=1 if len(history) <= 20 else None)
    figure.update_yaxes(range=[0, 1.02], row=1, col=2)
    figure.update_layout(height=380, hovermode="x unified")
    return figure


# ----------------------------------------------------------------------------------------------------------
# Target scan
# ----------------------------------------------------------------------------------------------------------


def site_map_figure(length: int, sites: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Candidate sites along a transcript, as lollipops whose height is the predicted probability.

    Parameters
    ----------
    length
        Transcript length in nt, drawn as a grey line along the bottom.
    sites
        One row per candidate site with columns ``start`` (0-based), ``end`` (exclusive), ``site_type``
        and ``probability``; without ``probability`` (sites no model scored one by one, as for a
        miRNA–gene model) the height is the site type's strength, 8mer = 1 down to offset-6mer = 0.2 and
        0.1 for a non-canonical site.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: the transcript, then per site type (canonical types strongest first) its stems and its
        markers; hover shows type, 1-based span and probability.

    Raises
    ------
    ValueError
        If a column is missing.
    """
    missing = [column for column in ("start", "end", "site_type") if column not in sites]
    if missing:
        raise ValueError(f"sites has no column(s) {missing}; it has {list(sites.columns)}")
    scored = "probability" in sites
    if not scored:
        sites = sites.assign(
            probability=[SITE_RANK.get(site_type, 0.5) / 5 for site_type in sites["site_type"]]
        )
    figure = go.Figure(
        go.Scatter(
            x=[1, length], y=[0, 0], mode="lines", line={"color": "#999999", "width": 6}, name="transcript",
            hovertemplate=f"transcript, {length:,} nt<extra></extra>", showlegend=False,
        )
    )  # fmt: skip
    present = set(sites["site_type"])
    for site_type in [t for t in SITE_TYPES if t in present] + sorted(present - set(SITE_TYPES), key=str):
        group = sites[sites["site_type"] == site_type]
        colour = SITE_TYPE_COLOURS.get(site_type, _OTHER_BASE_COLOUR)
        centres = (group["start"].to_numpy() + group["end"].to_numpy() + 1) / 2
        probabilities = group["probability"].to_numpy(dtype=float)
        stems_x = np.column_stack([centres, centres, np.full(len(centres), np.nan)]).ravel()
        stems_y = np.column_stack(
            [np.zeros(len(centres)), probabilities, np.full(len(centres), np.nan)]
        ).ravel()
        figure.add_trace(
            go.Scatter(
                x=stems_x, y=stems_y, mode="lines", line={"color": colour, "width": 1}, hoverinfo="skip",
                legendgroup=str(site_type), showlegend=False,
            )
        )  # fmt: skip
        hover = [
            f"{site_type} at {start + 1:,}–{end:,}" + (f"<br>probability {probability:.3f}" if scored else "")
            for start, end, probability in zip(group["start"], group["end"], probabilities, strict=True)
        ]
        figure.add_trace(
            go.Scatter(
                x=centres, y=probabilities, mode="markers", name=str(site_type), legendgroup=str(site_type),
                marker={"color": colour, "size": 10, "line": {"color": "white", "width": 1}},
                text=hover, hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip
    if sites.empty:
        figure.add_annotation(
            text="no candidate sites", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
        )
    figure.update_layout(
        title=title,
        xaxis={"title": {"text": "target position (nt)"}, "range": [0, length + 1]},
        yaxis={
            "title": {"text": "probability" if scored else "site strength (8mer = 1)"},
            "range": [-0.05, 1.05],
        },
        legend={"title": {"text": "site type"}},
        height=360,
    )
    return figure


# ----------------------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------------------


def figure_bytes(figure: matplotlib.figure.Figure, fmt: str) -> bytes:
    """Render a matplotlib figure to PNG (200 dpi) or SVG.

    Parameters
    ----------
    figure
        A figure from this module.
    fmt
        ``"png"`` or ``"svg"`` (case-insensitive).

    Returns
    -------
    bytes
        The encoded image.

    Raises
    ------
    ValueError
        If ``fmt`` is neither.
    """
    fmt = fmt.lower()
    if fmt not in ("png", "svg"):
        raise ValueError(f"unsupported image format {fmt!r}; use 'png' or 'svg'")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=200, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()
