"""The Train form's description of each family (rnaapp.training_form): fields, defaults, reading back."""

from __future__ import annotations

import pytest

from rnaapp.models import FAMILIES
from rnaapp.train import training_config_for
from rnaapp.training_form import FIELD_KINDS, HIDDEN_SETTINGS, attribute_help, training_form


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_has_a_form_whose_defaults_read_back_unchanged(family):
    form = training_form(family)
    keys = [field.key for field in form.fields]
    assert len(keys) == len(set(keys))
    assert all(field.kind in FIELD_KINDS for field in form.fields)
    assert not {field.name for field in form.architecture} & HIDDEN_SETTINGS
    model, training = form.settings({field.key: field.initial for field in form.fields})
    defaults = training_config_for(family)
    assert training == {
        field.name: getattr(defaults, field.name) for field in form.training + form.more_training
    }
    if form.members:  # an ensemble: the shared member settings at their defaults change nothing
        assert model == {}
    else:
        config = FAMILIES[family].config_class()
        assert model == {field.name: getattr(config, field.name) for field in form.architecture}


def test_training_fields_carry_labels_help_and_bounds():
    form = training_form("mirna_site")
    epochs = next(field for field in form.training if field.name == "epochs")
    assert (epochs.key, epochs.kind, epochs.label, epochs.minimum, epochs.maximum) == (
        "epochs",
        "int",
        "Epochs (at most)",
        1,
        1000,
    )
    assert epochs.help and epochs.default == training_config_for("mirna_site").epochs
    assert next(field for field in form.more_training if field.name == "mixed_precision").kind == "bool"


def test_architecture_fields_are_typed_with_help_from_the_config_docstring():
    form = training_form("mirna_site")
    fields = {field.name: field for field in form.architecture}
    assert fields["embedding_dim"].key == "arch_embedding_dim" and fields["embedding_dim"].kind == "int"
    assert fields["embedding_dim"].minimum == 0 and fields["embedding_dim"].help == "k-mer vector size."
    assert fields["dropout"].kind == "float" and fields["dropout"].number_format == "%g"
    assert fields["kernel_sizes"].kind == "list" and fields["kernel_sizes"].initial == "1, 3, 5"
    assert fields["pairing_features"].kind == "bool"
    assert fields["mirna_length"].help == fields["target_length"].help  # one entry names both


def test_choices_follow_the_family():
    grmmi = {field.name: field for field in training_form("grmmi").architecture}
    assert grmmi["lstm"].kind == "choice" and grmmi["lstm"].choices == ("bi", "uni", "none")
    assert "deep" in grmmi["fusion"].choices
    mixlmi = {field.name: field for field in training_form("mixlmi").architecture}
    assert mixlmi["fusion"].choices == ("arithmetic", "geometric")
    assert mixlmi["groups"].kind == "choices" and mixlmi["groups"].initial == list(mixlmi["groups"].default)


def test_values_are_converted_back_and_bad_ones_name_the_setting():
    form = training_form("mixlmi")
    values = {field.key: field.initial for field in form.fields}
    values |= {"arch_scales": "2, 5", "arch_groups": ["structure_gap", "sequence_kmer"], "epochs": 3.0}
    model, training = form.settings(values)
    assert model["scales"] == (2, 5) and training["epochs"] == 3 and isinstance(training["epochs"], int)
    assert model["groups"] == ("sequence_kmer", "structure_gap")  # in the order offered
    with pytest.raises(ValueError, match="Scales .*not a comma-separated list of whole numbers"):
        form.settings(values | {"arch_scales": "2, x"})
    with pytest.raises(ValueError, match="Groups: choose at least one"):
        form.settings(values | {"arch_groups": []})
    with pytest.raises(ValueError, match="enter at least one value"):
        form.settings(values | {"arch_scales": " , "})


def test_an_ensemble_offers_its_members_shared_settings_once():
    form = training_form("plant_ensemble")
    assert form.members == ("mixlmi", "premli") and not form.architecture
    shared = {field.name: field for field in form.member_settings}
    assert shared["site_features"].key == "members_site_features"
    assert "mixlmi and premli" in shared["site_features"].label
    values = {field.key: field.initial for field in form.fields} | {"members_site_features": True}
    model, _ = form.settings(values)
    assert model == {"mixlmi": {"site_features": True}, "premli": {"site_features": True}}


def test_unknown_family_is_a_key_error():
    with pytest.raises(KeyError, match="unknown model family 'nope'"):
        training_form("nope")


def test_attribute_help_reads_numpydoc_attributes():
    class Config:
        """Settings.

        Attributes
        ----------
        a, b : int
            Two sizes; see :class:`~rnaapp.Thing`.
        c
            One more,
            over two lines.

        Notes
        -----
        Not an attribute.
        """

    assert attribute_help(Config) == {
        "a": "Two sizes; see `rnaapp.Thing`.",
        "b": "Two sizes; see `rnaapp.Thing`.",
        "c": "One more, over two lines.",
    }
    assert attribute_help(type("Empty", (), {})) == {}
