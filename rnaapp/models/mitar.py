"""``mitar`` baseline: a miTAR-like CNN-BiRNN on the concatenated target and miRNA.

After miTAR (Gu et al., 2021): the target site and the miRNA are joined into one nucleotide sequence,
embedded, passed through a 1-D convolution with max pooling and a bidirectional LSTM, then dense layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnaapp.encoding import PAD_CODE, nucleotide_codes
from rnaapp.models.base import Family, Progress


@dataclass(frozen=True)
class MitarConfig:
    """Settings of the miTAR-like baseline.

    Attributes
    ----------
    mirna_length, target_length
        Padded lengths (nt); the input is ``target_length + mirna_length`` codes.
    embedding_dim, filters, kernel_size, pool_size, lstm_hidden, dense, dropout
        Layer sizes (miTAR: 320 filters of width 12, pooling 2, BiRNN 32, dense 16).
    """

    mirna_length: int = 30
    target_length: int = 60
    embedding_dim: int = 8
    filters: int = 128
    kernel_size: int = 12
    pool_size: int = 2
    lstm_hidden: int = 32
    dense: int = 16
    dropout: float = 0.2


class MitarNet(nn.Module):
    """CNN-BiLSTM over the nucleotide codes of the target followed by the miRNA.

    Input ``codes`` ``(batch, target_length + mirna_length)`` int64; output logits ``(batch,)``.
    """

    def __init__(self, config: MitarConfig) -> None:
        super().__init__()
        self.embedding = nn.Embedding(PAD_CODE + 1, config.embedding_dim, padding_idx=PAD_CODE)
        self.convolution = nn.Conv1d(config.embedding_dim, config.filters, config.kernel_size)
        self.pool = nn.MaxPool1d(config.pool_size)
        self.dropout = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.filters, config.lstm_hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Linear(2 * config.lstm_hidden, config.dense),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.dense, 1),
        )

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Score miRNA-target pairs.

        Parameters
        ----------
        codes : torch.Tensor, shape (batch, target_length + mirna_length), int64
            Nucleotide codes (:func:`rnaapp.encoding.nucleotide_codes`: A=0, C=1, G=2, U=3, N=4, padding 5)
            of the target padded to ``target_length``, then of the miRNA padded to ``mirna_length``.

        Returns
        -------
        torch.Tensor, shape (batch,), float
            Interaction logits.
        """
        embedded = self.embedding(codes.long()).transpose(1, 2)
        features = self.dropout(self.pool(torch.relu(self.convolution(embedded)))).transpose(1, 2)
        states, _ = self.lstm(features)
        return self.head(states.amax(1)).squeeze(-1)


class MitarFamily(Family):
    """Registry entry for :class:`MitarNet`."""

    name = "mitar"
    task = "site"
    config_class = MitarConfig
    description = "Baseline: miTAR-like CNN-BiLSTM on the concatenated target and miRNA nucleotides"

    def build(self, config: MitarConfig) -> MitarNet:
        """The untrained :class:`MitarNet` for ``config``."""
        return MitarNet(config)

    def featurize(
        self,
        config: MitarConfig,
        mirnas: Sequence[str],
        targets: Sequence[str],
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """The nucleotide codes of each pair's target and miRNA, joined.

        Returns
        -------
        dict of str to numpy.ndarray
            ``codes`` ``(n_pairs, target_length + mirna_length)`` int64; longer sequences are cut at their
            3' end.
        """
        codes = np.concatenate(
            [nucleotide_codes(targets, config.target_length), nucleotide_codes(mirnas, config.mirna_length)],
            axis=1,
        )
        if progress is not None:
            progress(len(mirnas), len(mirnas))
        return {"codes": codes.astype(np.int64)}

    def max_target_length(self, config: MitarConfig) -> int:
        """``config.target_length``: the target codes are padded (and cut) to that length."""
        return config.target_length
