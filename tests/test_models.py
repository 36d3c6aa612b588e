"""Tests for rnaapp.models: every family builds, featurises, runs forward, and trains for one epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnaapp.models import FAMILIES, config_from_dict, config_to_dict, get_family
from rnaapp.models.mirna_site import MirnaSiteConfig, MirnaSiteNet, reverse_within_length
from rnaapp.predict import predict
from rnaapp.train import fit, training_config_for

SMALL_SITE = {"embedding_dim": 16, "cnn_channels": 8, "hidden": 16, "feedforward": 32, "embedding_epochs": 1}


def small_config(name: str) -> dict:
    return SMALL_SITE if name == "mirna_site" else {}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_forward_shapes(name, pairs):
    family = get_family(name)
    config = config_from_dict(family.config_class, small_config(name))
    module = family.build(config).eval()
    features = family.featurize(config, pairs.mirna_seq.tolist()[:5], pairs.target_seq.tolist()[:5])
    with torch.no_grad():
        logits = module(**{key: torch.from_numpy(value) for key, value in features.items()})
    assert logits.shape == (5,)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_smoke_training_one_epoch(name, pairs):
    """Every family trains for one epoch through the common loop and predicts probabilities."""
    model = fit(
        name,
        pairs,
        model_config=small_config(name),
        training_config=training_config_for(name, {"epochs": 1, "batch_size": 32}),
    )
    probabilities = predict(model, pairs.mirna_seq.tolist(), pairs.target_seq.tolist())
    assert probabilities.shape == (len(pairs),)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert len(model.card.training["history"]) == 1
    assert not model.module.training
    # A pair scores the same alone as next to a longer miRNA and target (padding changes nothing).
    mirna, target = pairs.mirna_seq.iloc[0], pairs.target_seq.iloc[0]
    alone = predict(model, [mirna], [target])
    batched = predict(model, [mirna, "UGAGGUAGUAGGUUGUAUAGUUUUAG"], [target, target + "ACGUUAGCAUGCAUUGCA"])
    np.testing.assert_allclose(batched[:1], alone, atol=1e-5)


def test_config_round_trip_and_unknown_keys():
    config = MirnaSiteConfig(kernel_sizes=(1, 3))
    assert config_from_dict(MirnaSiteConfig, config_to_dict(config)) == config
    with pytest.raises(ValueError, match="unknown setting"):
        config_from_dict(MirnaSiteConfig, {"hiden": 3})


def test_reverse_within_length_keeps_padding_in_place():
    values = torch.arange(10, dtype=torch.float32).view(2, 5, 1)
    lengths = torch.tensor([3, 5])
    flipped = reverse_within_length(values, lengths)
    assert flipped[0, :, 0].tolist() == [2, 1, 0, 3, 4]
    assert flipped[1, :, 0].tolist() == [9, 8, 7, 6, 5]
    assert torch.equal(reverse_within_length(flipped, lengths), values)


@pytest.mark.parametrize("pairing_features", [False, True])
def test_site_score_does_not_depend_on_batch_or_padding(pairs, pairing_features):
    """A pair scores the same alone, in a batch, and next to a longer miRNA and target (padding-invariant)."""
    torch.manual_seed(0)
    family = get_family("mirna_site")
    config = MirnaSiteConfig(**SMALL_SITE, pairing_features=pairing_features)
    module = MirnaSiteNet(config).eval()
    # One longer miRNA and one longer target change the batch's widths.
    mirnas = pairs.mirna_seq.tolist()[:79] + ["UGAGGUAGUAGGUUGUAUAGUUUUAGGGUC"]
    targets = pairs.target_seq.tolist()[:79] + ["ACGU" * 14]
    features = {k: torch.from_numpy(v) for k, v in family.featurize(config, mirnas, targets).items()}
    with torch.no_grad():
        together = module(**features)
        alone = torch.cat([module(**{k: v[i : i + 1] for k, v in features.items()}) for i in range(80)])
    np.testing.assert_allclose(together.numpy(), alone.numpy(), atol=1e-4)


def test_site_attention_matrix_covers_nucleotides(pairs):
    family = get_family("mirna_site")
    config = MirnaSiteConfig(**SMALL_SITE)
    module = MirnaSiteNet(config).eval()
    mirna, target = pairs.mirna_seq[0], pairs.target_seq[0]
    features = {k: torch.from_numpy(v) for k, v in family.featurize(config, [mirna], [target]).items()}
    with torch.no_grad():
        _, attention = module(**features, return_attention=True)
    assert attention.shape[0] == 1
    np.testing.assert_allclose(attention.sum(-1).numpy(), 1.0, atol=1e-5)  # softmax over target positions
    matrix = family.attention_to_nucleotides(attention[0].numpy(), config, mirna, target)
    assert matrix.shape == (len(mirna), len(target))


def test_kmer_digits_decode_tokens():
    from rnaapp.encoding import kmer_tokens
    from rnaapp.models.mirna_site import kmer_digits

    tokens = torch.from_numpy(kmer_tokens(["UGAGN"], 4, 6))
    digits = kmer_digits(tokens, 4)
    assert digits[0, 0].tolist() == [3, 2, 0, 2]  # U G A G
    assert digits[0, 1].tolist() == [4, 4, 4, 4]  # GAGN has an N: unknown token
    assert digits[0, 2].tolist() == [4, 4, 4, 4]  # padding


def test_pairing_features_see_a_complementary_site(pairs):
    """With pairing features the model trains and the features respond to complementarity."""
    from rnaapp.models.mirna_site import PairingFeatures

    config = MirnaSiteConfig(**SMALL_SITE, pairing_features=True)
    family = get_family("mirna_site")
    module = MirnaSiteNet(config).eval()
    assert module.pairing is not None
    mirna = "UGAGGUAGUAGGUUGUAUAGUU"
    site = "AACUAUACAACCUACUACCUCA"  # reverse complement of the miRNA
    features = family.featurize(config, [mirna, mirna], ["GGGGGGGGGG" + site, "GGGGGGGGGG" + site[::-1]])
    tensors = {key: torch.from_numpy(value) for key, value in features.items()}
    with torch.no_grad():
        logits = module(**tensors)
        prior = PairingFeatures(config)
        with torch.no_grad():
            prior.convolution.weight.copy_(torch.eye(7).flip(1).expand_as(prior.convolution.weight))
            prior.convolution.bias.zero_()
        pooled = prior(tensors["mirna_tokens"], tensors["target_tokens"])
    assert logits.shape == (2,)
    assert pooled.shape == (2, prior.output_size)
    channels = prior.output_size // 2
    assert (pooled[0, :channels] > pooled[1, :channels]).all()  # best anti-diagonal (duplex) stretch
    model = fit(
        "mirna_site",
        pairs,
        model_config=SMALL_SITE | {"pairing_features": True},
        training_config=training_config_for("mirna_site", {"epochs": 1, "batch_size": 32}),
    )
    assert predict(model, pairs.mirna_seq.tolist()[:3], pairs.target_seq.tolist()[:3]).shape == (3,)
