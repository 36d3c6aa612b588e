"""The gene families: grmmi (sequences, mutual attention, GraRep) and aemigap (frozen autoencoder, LSTM)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch

from rnaapp.models import config_from_dict, get_family
from rnaapp.models.aemigap import AemigapConfig, pair_vector_width
from rnaapp.models.grmmi import GrmmiConfig, SequenceEncoder, encode_distinct
from rnaapp.predict import predict, predict_pairs
from rnaapp.registry import ModelCard, TrainedModel, load_model, save_model
from rnaapp.sites import reverse_complement

from .conftest import SMALL_GENE_CONFIGS, gene_pairs

SHORT_MIRNA = "UAGCUUAUCAGACUGAUGU"  # 19 nt: shorter than the others, so a batch pads it


def built(family_name: str, overrides: dict | None = None, pairs: pd.DataFrame | None = None):
    """An untrained gene model with its training graph installed: (TrainedModel, training features)."""
    family = get_family(family_name)
    pairs = gene_pairs(with_sequences=True) if pairs is None else pairs
    config = config_from_dict(family.config_class, SMALL_GENE_CONFIGS[family_name] | (overrides or {}))
    config = family.prepare(config, pairs, 0)
    torch.manual_seed(0)
    module = family.build(config)
    features = family.featurize(
        config,
        pairs["mirna_seq"].tolist(),
        pairs["target_seq"].tolist(),
        mirna_ids=pairs["mirna_id"].tolist(),
        target_ids=pairs["target_id"].tolist(),
    )
    features = family.initialise_from_pairs(module, config, pairs, features, 0)
    module.eval()
    card = ModelCard(name="built", family=family_name, task="gene", config={})
    return TrainedModel(card=card, family=family, config=config, module=module), features


def tensors(features: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in features.items()}


def test_grmmi_forward_and_attention_shapes(tiny_gene_model):
    model = tiny_gene_model("grmmi", with_sequences=True)
    pairs = gene_pairs(with_sequences=True).iloc[:5]
    features = model.family.featurize(
        model.config,
        pairs["mirna_seq"].tolist(),
        pairs["target_seq"].tolist(),
        mirna_ids=pairs["mirna_id"].tolist(),
        target_ids=pairs["target_id"].tolist(),
    )
    with torch.no_grad():
        logits, attention = model.module(**tensors(features), return_attention=True)
    k = model.config.k
    assert logits.shape == (5,)
    assert attention.shape == (5, 22 - k + 1, 60 - k + 1)  # (batch, miRNA tokens, target tokens)
    torch.testing.assert_close(attention.sum(-1), torch.ones(5, 22 - k + 1))  # softmax over target tokens
    probabilities, maps = predict(
        model, pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist(), return_attention=True
    )
    assert len(maps) == 5 and probabilities.shape == (5,)
    for attention_map in maps:
        assert attention_map.shape == (22, 60)
        assert np.isfinite(attention_map).all() and (attention_map >= 0).all() and attention_map.any()


def test_grmmi_empty_targets_give_zero_attention_and_finite_scores(tiny_gene_model):
    model = tiny_gene_model("grmmi")  # trained on names only: every target sequence is empty
    pairs = gene_pairs().iloc[:6]
    mirnas, names = pairs["mirna_seq"].tolist(), {"mirna_ids": pairs["mirna_id"].tolist()}
    names["target_ids"] = pairs["target_id"].tolist()
    probabilities, maps = predict(model, mirnas, [""] * 6, return_attention=True, **names)
    assert np.isfinite(probabilities).all() and ((probabilities > 0) & (probabilities < 1)).all()
    assert all(attention_map.shape == (22, 0) for attention_map in maps)
    # A batch mixing pairs with and without target sequence: zeros for those without, finite logits.
    targets = ["", "ACGUACGUAAACUAUACAACCUACUACCUCAAA", "", "GGGCCCAAAUUUGGGCCCAAAUUU", "", ""]
    mixed, maps = predict(model, mirnas, targets, return_attention=True, **names)
    assert np.isfinite(mixed).all()
    for target, attention_map in zip(targets, maps, strict=True):
        assert attention_map.shape == (22, len(target))
        assert bool(attention_map.any()) == bool(target)
    # Pairs without target score as they did in the batch without any target sequence.
    empty = [index for index, target in enumerate(targets) if not target]
    np.testing.assert_allclose(mixed[empty], probabilities[empty], atol=1e-6)


def test_grmmi_score_does_not_depend_on_the_batch(tiny_gene_model):
    model = tiny_gene_model("grmmi", with_sequences=True)
    pairs = gene_pairs(with_sequences=True)
    rows = pairs.iloc[[0, 1, 2, 3, 40, 41, 60, 80]].reset_index(drop=True)
    rows.iloc[2, rows.columns.get_loc("mirna_seq")] = SHORT_MIRNA
    rows.iloc[3, rows.columns.get_loc("target_seq")] = rows.iloc[3]["target_seq"][:31]  # shorter target
    rows.iloc[4, rows.columns.get_loc("target_seq")] = ""  # no target sequence
    together = predict_pairs(model, rows, batch_size=8)["probability"].to_numpy()
    alone = np.array(
        [predict_pairs(model, rows.iloc[[index]])["probability"].iloc[0] for index in range(len(rows))]
    )
    np.testing.assert_allclose(together, alone, atol=1e-5)
    # Repeating molecules (encode_distinct encodes each once) changes nothing.
    repeated = pd.concat([rows, rows.iloc[::-1], rows], ignore_index=True)
    np.testing.assert_allclose(
        predict_pairs(model, repeated, batch_size=64)["probability"].to_numpy(),
        np.concatenate([alone, alone[::-1], alone]),
        atol=1e-5,
    )
    np.testing.assert_allclose(predict_pairs(model, rows, batch_size=3)["probability"], alone, atol=1e-5)


def test_encode_distinct_equals_encoding_every_row():
    torch.manual_seed(0)
    config = GrmmiConfig(**SMALL_GENE_CONFIGS["grmmi"])
    encoder = SequenceEncoder(config).eval()
    tokens = torch.randint(2, 50, (3, 12))
    tokens[1, 8:] = 0  # padding
    batch = tokens[[0, 1, 0, 2, 1, 1]]
    with torch.no_grad():
        states, mask = encoder(batch)
        distinct_states, distinct_mask = encode_distinct(encoder, batch)
    torch.testing.assert_close(distinct_states, states, atol=1e-6, rtol=1e-5)
    assert torch.equal(distinct_mask, mask)


@pytest.mark.parametrize("family", ["grmmi", "aemigap"])
def test_unseen_names_share_the_learned_unseen_vector(tiny_gene_model, family):
    model = tiny_gene_model(family)
    mirna = gene_pairs()["mirna_seq"][0]

    def score(mirna_id: str | None, target_id: str | None) -> float:
        names = {
            "mirna_ids": None if mirna_id is None else [mirna_id],
            "target_ids": None if target_id is None else [target_id],
        }
        return float(predict(model, [mirna], [""], **names)[0])

    seen = score("gmir-0", "gene-0")
    unseen = score("gmir-0", "no-such-gene")
    assert unseen != pytest.approx(seen, abs=1e-6)
    assert score("gmir-0", "another-new-gene") == pytest.approx(unseen, abs=1e-7)
    # gene-23 is a node of the training data without a positive edge: unseen too; so is a missing name.
    assert score("gmir-0", "gene-23") == pytest.approx(unseen, abs=1e-7)
    assert score("gmir-0", None) == pytest.approx(unseen, abs=1e-7)
    both = score("new-mir", "new-gene")
    assert score("other-mir", "other-gene") == pytest.approx(both, abs=1e-7)
    assert score(None, None) == pytest.approx(both, abs=1e-7)
    # The unseen vector is a parameter (learned from pairs whose fold graph hides a node), not the zero row.
    nodes = model.module.nodes
    assert isinstance(nodes.unseen_gene, torch.nn.Parameter) and nodes.unseen_gene.requires_grad
    assert nodes.unseen_gene.detach().abs().sum() > 0


ABLATIONS = [
    {"lstm": "bi"},
    {"lstm": "uni"},
    {"lstm": "none"},
    {"attention": False},
    {"fusion": "concat"},
    {"fusion": "add"},
    {"fusion": "average"},
    {"fusion": "deep"},
    {"fusion": "none"},
    {"sequence_branch": False},
    {"graph_branch": False},
    {"graph_folds": 1},
    {"sequence_branch": False, "fusion": "add"},
    {"graph_branch": False, "fusion": "average", "attention": False},
    {"site_counts": True},
    {"sequence_branch": False, "site_counts": True},
    {"graph_branch": False, "site_counts": True, "fusion": "add"},
]


@pytest.mark.parametrize(
    "switches", ABLATIONS, ids=lambda switches: ",".join(f"{k}={v}" for k, v in switches.items())
)
def test_every_grmmi_ablation_builds_trains_a_step_and_predicts(switches):
    model, features = built("grmmi", switches)
    module = model.module
    assert hasattr(module, "mirna_encoder") == model.config.sequence_branch
    assert hasattr(module, "nodes") == model.config.graph_branch
    assert hasattr(module, "mutual_attention") == (model.config.sequence_branch and model.config.attention)
    batch = tensors({key: value[:16] for key, value in features.items()})
    module.train()
    logits = module(**batch)
    assert logits.shape == (16,) and torch.isfinite(logits).all()
    logits.sum().backward()
    assert any(parameter.grad is not None for parameter in module.parameters())
    module.eval()
    pairs = gene_pairs(with_sequences=True).iloc[:4]
    probabilities, maps = predict(
        model,
        pairs["mirna_seq"].tolist(),
        pairs["target_seq"].tolist(),
        mirna_ids=pairs["mirna_id"].tolist(),
        target_ids=pairs["target_id"].tolist(),
        return_attention=True,
    )
    assert np.isfinite(probabilities).all()
    assert [attention_map.shape for attention_map in maps] == [(22, 60)] * 4
    if not (model.config.sequence_branch and model.config.attention):
        assert not any(attention_map.any() for attention_map in maps)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lstm": "gru"}, "lstm must be one of"),
        ({"fusion": "sum"}, "fusion must be one of"),
        ({"sequence_branch": False, "graph_branch": False}, "at least one"),
        ({"lstm": "uni", "lstm_hidden": 5, "heads": 2}, "multiple of heads"),
    ],
)
def test_grmmi_config_validation(settings, message):
    with pytest.raises(ValueError, match=message):
        GrmmiConfig(**settings)
    with pytest.raises(ValueError, match=message):
        config_from_dict(GrmmiConfig, settings)


def test_gene_families_need_names_to_train():
    from rnaapp.train import fit, training_config_for

    pairs = gene_pairs(with_sequences=True).drop(columns="target_id")
    for family in ("grmmi", "aemigap"):
        with pytest.raises(ValueError, match="'target_id'"):
            fit(
                family,
                pairs,
                model_config=SMALL_GENE_CONFIGS[family],
                training_config=training_config_for(family, {"epochs": 1}),
            )


def test_aemigap_autoencoder_is_frozen_after_pretraining():
    model, features = built("aemigap")
    module, config = model.module, model.config
    autoencoder = module.autoencoder
    assert module.autoencoder_frozen
    assert all(not parameter.requires_grad for parameter in autoencoder.parameters())
    module.train()
    assert module.lstm.training and not autoencoder.training
    assert not any(layer.training for layer in autoencoder.modules())
    # Training steps leave its weights and batch-norm statistics as they are.
    before = copy.deepcopy(autoencoder.state_dict())
    trainable = [parameter for parameter in module.parameters() if parameter.requires_grad]
    optimiser = torch.optim.Adam(trainable, lr=1e-2)
    inputs, labels = tensors(features), torch.tensor([1.0, 0.0] * 8)
    for start in range(0, 48, 16):
        batch = {key: value[start : start + 16] for key, value in inputs.items()}
        loss = torch.nn.functional.binary_cross_entropy_with_logits(module(**batch), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    for key, value in autoencoder.state_dict().items():
        assert torch.equal(value, before[key]), key
    module.eval()
    # Latent and reconstruction sizes.
    with torch.no_grad():
        vectors = module.pair_vectors(**{key: value[:7] for key, value in inputs.items()})
        latent, reconstruction = autoencoder(vectors)
    assert vectors.shape == (7, pair_vector_width(config))
    assert latent.shape == (7, config.latent) == (7, 4)
    assert reconstruction.shape == vectors.shape
    assert pair_vector_width(AemigapConfig(graph_steps=2, graph_dimension=4)) == 2 * (8 + 2) + 2 * 64


@pytest.mark.parametrize("family", ["grmmi", "aemigap"])
def test_saved_and_loaded_model_scores_the_same(tiny_gene_model, user_home, family):
    model = tiny_gene_model(family, with_sequences=True)
    assert model.module.nodes.training_views.shape[0] == 2  # the fold tables of training
    save_model(model, name=f"saved-{family}")
    loaded = load_model(f"saved-{family}")
    assert loaded.config == model.config
    assert loaded.module.nodes.training_views.shape[0] == 0  # not saved, not needed
    assert not any("training_views" in key for key in loaded.module.state_dict())
    pairs = gene_pairs(with_sequences=True)
    extra = pd.DataFrame(
        [{"mirna_id": "new-mir", "mirna_seq": SHORT_MIRNA, "target_id": "new-gene", "target_seq": ""}]
    )
    rows = pd.concat([pairs, extra], ignore_index=True)
    np.testing.assert_array_equal(
        predict_pairs(loaded, rows)["probability"].to_numpy(),
        predict_pairs(model, rows)["probability"].to_numpy(),
    )


def seed_family_pairs() -> pd.DataFrame:
    """Three miRNAs: two share a seed (family A), one does not (B); known edges to genes g1, g2."""
    family_a1 = "UAGCAGCACGUAAAUAUUGGCG"
    family_a2 = "UAGCAGCACAUAAUGGUUUGUG"  # same nucleotides 2-8 (AGCAGCA)
    family_b = "UGAGGUAGUAGGUUGUAUAGUU"
    rows = [
        ("a1", family_a1, "g1", 1),
        ("a1", family_a1, "g2", 1),
        ("a2", family_a2, "g1", 1),
        ("b", family_b, "g2", 1),
        ("b", family_b, "g3", 0),
        ("a2", family_a2, "g3", 0),
    ]
    return pd.DataFrame(
        [{"mirna_id": m, "mirna_seq": s, "target_id": g, "target_seq": "", "label": y} for m, s, g, y in rows]
    )


def test_seed_family_support_counts_same_seed_edges_to_the_gene():
    pairs = seed_family_pairs()
    model, _ = built("grmmi", {"graph_folds": 1}, pairs=pairs)
    features = model.family.featurize(
        model.config,
        [pairs.mirna_seq[2], pairs.mirna_seq[2], pairs.mirna_seq[3], pairs.mirna_seq[2]],
        ["", "", "", ""],
        mirna_ids=["a2", "a2", "b", "new-family-member"],
        target_ids=["g2", "g3", "g1", "g1"],
    )
    tensors = {key: torch.from_numpy(value) for key, value in features.items()}
    support = model.module.family(tensors["seed_code"], tensors["gene_node"], tensors["graph_view"])[:, 0]
    # a2-g2: a1 (same seed) targets g2 -> 1; a2-g3: nobody -> 0; b-g1: no family member -> 0;
    # an unseen miRNA of family A on g1: a1 and a2 -> 2 (the family reaches miRNAs the graph never saw).
    assert torch.allclose(support, torch.log1p(torch.tensor([1.0, 0.0, 0.0, 2.0])))


def test_seed_family_training_views_leave_out_the_pair_own_edge():
    pairs = seed_family_pairs()
    model, features = built("grmmi", {"graph_folds": 2}, pairs=pairs)
    tensors = {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in features.items()}
    support = model.module.family(tensors["seed_code"], tensors["gene_node"], tensors["graph_view"])[:, 0]
    full = model.module.family(
        tensors["seed_code"], tensors["gene_node"], torch.zeros_like(tensors["graph_view"])
    )[:, 0]
    # a1-g1 in the full graph: a1 and a2 -> 2; in its fold's graph its own edge (and maybe a2-g1) is gone.
    assert full[0] == pytest.approx(np.log1p(2.0))
    assert support[0] < full[0]


def test_seed_family_tables_survive_saving(user_home):
    pairs = seed_family_pairs()
    model, _ = built("grmmi", {"graph_folds": 2}, pairs=pairs)
    save_model(model, name="family-check")
    loaded = load_model("family-check")
    assert torch.equal(loaded.module.family.keys, model.module.family.keys)
    assert torch.equal(loaded.module.family.counts, model.module.family.counts)
    assert not loaded.module.family.training_keys.numel()
    assert np.allclose(
        predict_pairs(loaded, pairs)["probability"], predict_pairs(model, pairs)["probability"]
    )


def test_grmmi_site_counts_read_whole_targets_and_change_the_score():
    """Graph + site counts: no target-length limit, zeros without sequence, a site of the miRNA counts."""
    pairs = gene_pairs()
    model, _ = built("grmmi", {"sequence_branch": False, "site_counts": True, "target_length": 100}, pairs)
    assert model.family.max_target_length(model.config) is None
    mirna = pairs["mirna_seq"].iloc[0]
    site = reverse_complement(mirna[1:8]) + "A"  # an 8mer site of the miRNA
    background = "C" * 5000  # longer than target_length: read whole by the site counts
    targets = ["", background, background[:2000] + site + background[2000:], (site + "CCCC") * 3]
    features = model.family.featurize(
        model.config, [mirna] * 4, targets, mirna_ids=["gmir-0"] * 4, target_ids=["gene-0"] * 4
    )
    assert features["target_tokens"].shape == (4, 1)
    np.testing.assert_allclose(features["site_counts"][:2], 0)
    np.testing.assert_allclose(features["site_counts"][2], np.log1p([1, 0, 0, 0, 0]), rtol=1e-6)
    np.testing.assert_allclose(features["site_counts"][3], np.log1p([3, 0, 0, 0, 0]), rtol=1e-6)
    with torch.no_grad():
        logits = model.module(**tensors(features))
    assert logits[0] == logits[1]  # no sites: as if no sequence
    assert len(set(logits.tolist()[1:])) == 3
    probabilities = predict(model, [mirna] * 4, targets, mirna_ids=["gmir-0"] * 4, target_ids=["gene-0"] * 4)
    np.testing.assert_allclose(probabilities, torch.sigmoid(logits).numpy(), rtol=1e-5)
