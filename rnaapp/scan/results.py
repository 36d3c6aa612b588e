"""Scan results on disk: Parquet pair and site tables, read back, and the top interactions.

The tables are written in row groups, and the top interactions are ranked without loading everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rnaapp.io import (
    atomic_write,
)
from rnaapp.scan.columns import (
    PAIR_COLUMNS,
    SITE_COLUMNS,
    SITE_COUNT_COLUMNS,
    TARGET_GENE_COLUMNS,
    ScanResult,
    target_gene_columns,
)
from rnaapp.sites import SITE_RANK


def _schema(columns: Mapping[str, str], types: Mapping[str, pa.DataType], nullable: set[str]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(column, types[column], nullable=column in nullable, metadata={"description": text})
            for column, text in columns.items()
        ]
    )


#: Arrow schema of the pair file :func:`write_scan` writes (columns of :data:`PAIR_COLUMNS`).
PAIR_SCHEMA = _schema(
    PAIR_COLUMNS,
    {
        "mirna_id": pa.string(),
        "target_id": pa.string(),
        "gene_symbol": pa.string(),
        "transcript_id": pa.string(),
        "score": pa.float64(),
        "probability": pa.float64(),
        "percentile": pa.float64(),
        "best_site_type": pa.string(),
        "best_site_start": pa.int64(),
        "best_site_energy": pa.float64(),
        "best_site_expectation": pa.float64(),
        "best_site_log_odds": pa.float64(),
        "n_sites": pa.int64(),
        "n_canonical": pa.int64(),
        **dict.fromkeys(SITE_COUNT_COLUMNS.values(), pa.int64()),
        "driving_sites": pa.string(),
        "target_length": pa.int64(),
    },
    nullable={
        "best_site_start",
        "best_site_energy",
        "best_site_expectation",
        "best_site_log_odds",
        "percentile",
    },
)
#: Arrow schema of the site file :func:`write_scan` writes (columns of :data:`SITE_COLUMNS`).
SITE_SCHEMA = _schema(
    SITE_COLUMNS,
    {
        "mirna_id": pa.string(),
        "target_id": pa.string(),
        "gene_symbol": pa.string(),
        "transcript_id": pa.string(),
        "site_rank": pa.int64(),
        "probability": pa.float64(),
        "log_odds": pa.float64(),
        "contribution": pa.float64(),
        "site_type": pa.string(),
        "seed_pairing": pa.string(),
        "start": pa.int64(),
        "end": pa.int64(),
        "energy": pa.float64(),
        "expectation": pa.float64(),
        "window_start": pa.int64(),
        "window": pa.string(),
    },
    nullable={"energy", "expectation", "contribution"},
)


class _RowGroupWriter:
    """Collect frames and write them to a Parquet file in row groups of ``rows`` rows."""

    def __init__(self, path: str, schema: pa.Schema, rows: int) -> None:
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.schema = schema
        self.rows = rows
        self.tables: list[pa.Table] = []
        self.pending = 0
        self.written = 0

    def add(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        if "target_id" in frame.columns and not set(TARGET_GENE_COLUMNS) <= set(frame.columns):
            # a table made before the gene columns: they follow from the target ids, as a scan gives them
            genes = pd.DataFrame(
                [target_gene_columns(str(target)) for target in frame["target_id"]], index=frame.index
            )
            frame = frame.assign(
                **{name: genes[name] for name in TARGET_GENE_COLUMNS if name not in frame.columns}
            )
        missing = [name for name in self.schema.names if name not in frame.columns]
        if missing:  # a table made without the optional columns (e.g. by an earlier rnaapp): empty ones
            required = [name for name in missing if not self.schema.field(name).nullable]
            if required:
                raise ValueError(f"scan results lack the column(s) {', '.join(required)}")
            frame = frame.assign(**{name: np.nan for name in missing})
        table = pa.Table.from_pandas(frame[self.schema.names], schema=self.schema, preserve_index=False)
        self.tables.append(table.replace_schema_metadata(None))
        self.pending += len(table)
        if self.pending >= self.rows:
            self.flush(final=False)

    def flush(self, final: bool = True) -> None:
        if self.tables:
            table = pa.concat_tables(self.tables)
            full = len(table) if final else len(table) // self.rows * self.rows
            if full:
                self.writer.write_table(table.slice(0, full), row_group_size=self.rows)
                self.written += full
            rest = table.slice(full)
            self.tables = [rest] if len(rest) else []
            self.pending = len(rest)

    def close(self) -> None:
        self.writer.close()


def _sites_in_pair_order(result: ScanResult) -> pd.DataFrame:
    """The sites of a chunk grouped by pair, in the order of its pairs, best site first.

    :func:`scan_batches` gives each buffer's sites in probability order, so without this the site file
    would depend on how the work was split (buffers, workers).
    """
    sites = result.sites
    if len(sites) < 2:
        return sites
    pair_index = pd.MultiIndex.from_frame(result.pairs[["mirna_id", "target_id"]])
    if not pair_index.is_unique:
        return sites
    position = pair_index.get_indexer(pd.MultiIndex.from_frame(sites[["mirna_id", "target_id"]]))
    return sites.iloc[np.lexsort((sites["site_rank"].to_numpy(), position))]


def write_scan(
    results: Iterable[ScanResult],
    pairs_path: str | os.PathLike,
    sites_path: str | os.PathLike | None = None,
    *,
    row_group_rows: int = 131_072,
) -> tuple[int, int]:
    """Write scan results to Parquet as they come (e.g. from :func:`scan_batches`), in bounded memory.

    Both files are written to temporary files next to them and renamed into place only once ``results``
    is exhausted: a scan that fails or is cancelled leaves no partial file and keeps any previous one.

    Parameters
    ----------
    results
        Chunks of pairs and sites; consumed once. Pairs are stored in the order they come (unranked;
        see :func:`top_interactions` and :func:`read_scan`), sites grouped by pair in the same order,
        best site first; so the files do not depend on how a scan was split over workers.
    pairs_path
        Parquet file for the pairs (schema :data:`PAIR_SCHEMA`).
    sites_path
        Parquet file for the sites (schema :data:`SITE_SCHEMA`); None: sites are not kept.
    row_group_rows
        Rows per Parquet row group (the unit readers skip when filtering).

    Returns
    -------
    tuple of (int, int)
        Numbers of pair and site rows written.
    """
    counts = [0, 0]

    def write(pairs_temporary: str, sites_temporary: str | None) -> None:
        writers = [_RowGroupWriter(pairs_temporary, PAIR_SCHEMA, row_group_rows)]
        if sites_temporary is not None:
            writers.append(_RowGroupWriter(sites_temporary, SITE_SCHEMA, row_group_rows))
        try:
            for result in results:
                writers[0].add(result.pairs)
                if len(writers) > 1:
                    writers[1].add(_sites_in_pair_order(result))
            for writer in writers:
                writer.flush()
        finally:
            for writer in writers:
                writer.close()
        counts[0] = writers[0].written
        counts[1] = writers[1].written if len(writers) > 1 else 0

    if sites_path is None:
        atomic_write(pairs_path, lambda pairs_temporary: write(pairs_temporary, None))
    else:
        atomic_write(
            pairs_path,
            lambda pairs_temporary: atomic_write(
                sites_path, lambda sites_temporary: write(pairs_temporary, sites_temporary)
            ),
        )
    return counts[0], counts[1]


def _pair_frame(table: pa.Table) -> pd.DataFrame:
    """A Parquet table as pandas, ``best_site_start`` as nullable integers."""
    frame = table.to_pandas()
    if "best_site_start" in frame.columns:
        frame["best_site_start"] = frame["best_site_start"].astype("Int64")
    return frame


def read_scan(
    path: str | os.PathLike,
    *,
    columns: Sequence[str] | None = None,
    filters: Any = None,
) -> pd.DataFrame:
    """Read (part of) a pair or site file written by :func:`write_scan`.

    A thin wrapper around :func:`pandas.read_parquet`: ``filters`` are pushed down to the file, so only
    the row groups and columns asked for are read, even from files of 10^7 rows.

    Parameters
    ----------
    path
        A Parquet file from :func:`write_scan` (or ``rnaapp scan -o OUT.parquet``).
    columns
        Columns to read (default: all).
    filters
        pyarrow filters: a list of ``(column, op, value)`` tuples combined with AND (ops ``==``, ``!=``,
        ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``), or a list of such lists combined with OR.

    Returns
    -------
    pandas.DataFrame
        The rows in file order; ``best_site_start`` as nullable integers (``Int64``).

    Examples
    --------
    With pandas, the strong sites of one miRNA::

        >>> from rnaapp.scan import read_scan, top_interactions
        >>> read_scan("scan.parquet", filters=[("mirna_id", "==", "hsa-miR-21-5p"),
        ...                                     ("probability", ">=", 0.9)])  # doctest: +SKIP
        >>> top_interactions("scan.parquet", 20, per="target")  # best 20 miRNAs of every transcript

    With DuckDB (``pip install duckdb``; not needed by rnaapp), in SQL::

        >>> import duckdb  # doctest: +SKIP
        >>> duckdb.sql('''
        ...     SELECT target_id, count(*) AS n, max(probability) AS best
        ...     FROM 'scan.parquet' WHERE best_site_type IN ('8mer', '7mer-m8')
        ...     GROUP BY target_id ORDER BY best DESC LIMIT 50''').df()  # doctest: +SKIP
    """
    frame = pd.read_parquet(path, columns=list(columns) if columns is not None else None, filters=filters)
    if "best_site_start" in frame.columns:
        frame["best_site_start"] = frame["best_site_start"].astype("Int64")
    return frame


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes that sort like ``values``, and the distinct values (in code order)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories.to_numpy(dtype=object)
        order = np.argsort(categories.astype(str), kind="stable")
        rank = np.empty(len(categories), dtype=np.int64)
        rank[order] = np.arange(len(categories))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, rank[codes], -1), categories[order]
    codes, uniques = pd.factorize(values, sort=True)
    return codes, np.asarray(uniques, dtype=object)


def _nth_largest(values: np.ndarray, n: int, block: int = 1 << 16) -> float:
    """The ``n``-th largest of ``values`` (``n <= len(values)``), selected block by block.

    One :func:`numpy.partition` over 10^7 values can take seconds for some orders of the values (its
    introselect falls back to a slow path); blocks keep every selection small.
    """
    candidates = [
        np.partition(part, len(part) - n)[len(part) - n :] if len(part) > n else part
        for part in (values[start : start + block] for start in range(0, len(values), block))
    ]
    pooled = np.concatenate(candidates)
    return float(np.partition(pooled, len(pooled) - n)[len(pooled) - n])


def _ranking_order(keys: pd.DataFrame, per: str | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the top ``n`` (overall or per group) and their 1-based ranks, in output order.

    The order is :func:`rank_pairs`'s: score, then the stronger best site, then the lower duplex energy,
    then names.
    """
    score = keys["score" if "score" in keys else "probability"].to_numpy(dtype=np.float64)
    rows = np.arange(len(keys))
    if per is None and n < len(keys):  # only rows that can be in the top n need sorting
        threshold = _nth_largest(score, n)
        rows = np.flatnonzero(score >= threshold)
    subset = keys.iloc[rows]
    mirna_codes, _ = _sorted_codes(subset["mirna_id"])
    target_codes, _ = _sorted_codes(subset["target_id"])
    type_codes, types = _sorted_codes(subset["best_site_type"])
    strengths = np.array(
        [SITE_RANK.get(site, 0.5 if site != "none" else 0) for site in types] + [0], dtype=np.float64
    )
    strength = strengths[type_codes]  # code -1 (missing) reads the trailing 0
    if "best_site_energy" in subset:
        energy = pd.to_numeric(subset["best_site_energy"], errors="coerce").to_numpy(dtype=np.float64)
        energy = np.where(np.isfinite(energy), energy, np.inf)
    else:
        energy = np.zeros(len(subset))
    n_mirnas, n_targets = int(mirna_codes.max(initial=0)) + 1, int(target_codes.max(initial=0)) + 1
    weakness = np.searchsorted(np.unique(-strengths), -strength)
    energies, energy_codes = np.unique(energy, return_inverse=True)
    if len(strengths) * len(energies) * n_mirnas * n_targets < 2**62:  # one integer tie key: faster
        ties = ((weakness * len(energies) + energy_codes) * n_mirnas + mirna_codes) * n_targets + target_codes
        order = np.lexsort((ties, -score[rows]))
    else:
        order = np.lexsort((target_codes, mirna_codes, energy, -strength, -score[rows]))
    if per is None:
        chosen = order[:n]
        return rows[chosen], np.arange(1, len(chosen) + 1)
    group = (mirna_codes if per == "mirna" else target_codes)[order]
    ranks = pd.Series(group).groupby(group, sort=False).cumcount().to_numpy() + 1
    keep = ranks <= n
    chosen, ranks, group = order[keep], ranks[keep], group[keep]
    output = np.lexsort((ranks, group))
    return rows[chosen[output]], ranks[output]


def _take_rows(path: str | os.PathLike, rows: np.ndarray) -> pd.DataFrame:
    """Rows (global indices, any order) of a Parquet file, reading only the row groups holding them."""
    parquet = pq.ParquetFile(path)
    sizes = np.array(
        [parquet.metadata.row_group(index).num_rows for index in range(parquet.num_row_groups)],
        dtype=np.int64,
    )
    starts = np.concatenate([[0], np.cumsum(sizes)])
    groups = np.searchsorted(starts, rows, side="right") - 1
    pieces, positions = [], []
    for group in np.unique(groups):
        inside = np.flatnonzero(groups == group)
        pieces.append(parquet.read_row_group(int(group)).take(pa.array(rows[inside] - starts[group])))
        positions.append(inside)
    if not pieces:
        return _pair_frame(parquet.schema_arrow.empty_table())
    table = pa.concat_tables(pieces)
    return _pair_frame(table.take(pa.array(np.argsort(np.concatenate(positions), kind="stable"))))


def top_interactions(
    pairs: str | os.PathLike | pd.DataFrame, n: int = 10, per: str | None = None
) -> pd.DataFrame:
    """The top ``n`` pairs by score: overall, per miRNA or per transcript.

    Ties are broken as in :func:`rank_pairs` (stronger best site, then lower energy, then names). A Parquet file is read
    column-wise (ids as dictionaries, then only the row groups holding the chosen rows), so files of
    10^7 pairs are ranked in seconds and modest memory.

    Parameters
    ----------
    pairs
        A pair file from :func:`write_scan`, or a pair table (:attr:`ScanResult.pairs`).
    n
        Pairs kept (per group when ``per`` is given).
    per
        None: the overall top ``n``; ``"mirna"``: the top ``n`` targets of every miRNA; ``"target"``:
        the top ``n`` miRNAs of every transcript.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1-based; within its miRNA or transcript when ``per`` is given), then the pair columns.
        Overall: ordered by rank. Per group: ordered by the group's id, then rank.
    """
    if per not in (None, "mirna", "target"):
        raise ValueError(f"per must be None, 'mirna' or 'target', not {per!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    key_columns = ["mirna_id", "target_id", "score", "probability", "best_site_type", "best_site_energy"]
    if isinstance(pairs, pd.DataFrame):
        frame = pairs.drop(columns="rank", errors="ignore")
        present = [column for column in key_columns if column in frame]
        rows, ranks = _ranking_order(frame[present].reset_index(drop=True), per, n)
        chosen = frame.iloc[rows].reset_index(drop=True)
    else:
        names = set(pq.read_schema(pairs).names)
        keys = pq.read_table(
            pairs,
            columns=[column for column in key_columns if column in names],
            read_dictionary=["mirna_id", "target_id", "best_site_type"],
        )
        rows, ranks = _ranking_order(keys.to_pandas(), per, n)
        chosen = _take_rows(pairs, rows).reset_index(drop=True)
    chosen.insert(0, "rank", ranks.astype(np.int64))
    return chosen
