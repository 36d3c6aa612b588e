"""What the Train form offers for a model family: every setting as a field a page can draw and read back.

:func:`training_form` describes a family (:data:`rnaapp.models.FAMILIES`): its training settings
(:class:`rnaapp.train.TrainingConfig`, with the family's defaults), its architecture settings (the fields of
its config dataclass that have a plain default, with the help of the config's numpydoc ``Attributes``), and,
for an ensemble, the yes/no and choice settings every member shares. Each is a :class:`FormField`: name,
label, help, kind, default, bounds and choices. A page draws one widget per field and hands the values back
to :meth:`TrainingForm.settings`, which converts them to the model and training settings that
:func:`rnaapp.jobs.start_training` takes, so that no page reads dataclasses or model modules itself.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rnaapp.complementarity import FEATURE_SETS
from rnaapp.composition import FUSIONS, GROUPS
from rnaapp.models import FAMILIES
from rnaapp.models.grmmi import FUSIONS as GRMMI_FUSIONS
from rnaapp.models.grmmi import LSTM_KINDS
from rnaapp.train import training_config_for

__all__ = [
    "FIELD_KINDS",
    "HIDDEN_SETTINGS",
    "FormField",
    "TrainingForm",
    "attribute_help",
    "training_form",
]

#: What a field is drawn as: a check box, a whole or decimal number, free text, a comma-separated list, one
#: choice among :attr:`FormField.choices`, or several of them.
FIELD_KINDS = ("bool", "int", "float", "text", "list", "choice", "choices")

#: Architecture settings offered as one choice among these values (by setting name), not as free text.
SETTING_CHOICES: dict[str, tuple[str, ...]] = {"fusion": FUSIONS, "site_feature_set": tuple(FEATURE_SETS)}
#: Tuple-valued architecture settings offered as a multiple choice among these values (kept in this order).
SETTING_MULTI_CHOICES: dict[str, tuple[str, ...]] = {"groups": GROUPS}
#: Choices of one family that differ from :data:`SETTING_CHOICES` (by family, then setting name).
FAMILY_SETTING_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "grmmi": {"fusion": GRMMI_FUSIONS, "lstm": LSTM_KINDS},
}
#: Settings filled in when training starts (the training graph's node names), never offered in a form.
HIDDEN_SETTINGS = frozenset({"mirna_nodes", "gene_nodes"})

#: Training settings of the form's first block: label, help, minimum, maximum, number format.
TRAINING_FIELDS: dict[str, tuple[str, str, float | None, float | None, str | None]] = {
    "epochs": (
        "Epochs (at most)",
        "Passes over the training pairs; training may stop earlier.",
        1,
        1000,
        None,
    ),
    "batch_size": ("Batch size", "Pairs per optimisation step.", 1, 65536, None),
    "learning_rate": ("Learning rate", "Step size of the AdamW optimiser.", 1e-7, 10.0, "%g"),
    "patience": (
        "Patience (epochs)",
        "Stop after this many epochs without a better validation AUC; the best epoch's weights are kept.",
        1,
        1000,
        None,
    ),
    "seed": ("Random seed", "Same data + settings + seed = the same model.", 0, 2**31 - 1, None),
    "valid_fraction": (
        "Validation fraction",
        "Share of the pairs held out (stratified by label) to pick the best epoch and stop early.",
        0.01,
        0.5,
        "%.2f",
    ),
}
#: Training settings of the form's "more optimisation settings" block (same layout).
MORE_TRAINING_FIELDS: dict[str, tuple[str, str, float | None, float | None, str | None]] = {
    "weight_decay": ("Weight decay", "AdamW weight decay (L2-like regularisation).", 0.0, 1.0, "%g"),
    "ema_decay": (
        "Weight averaging (EMA decay)",
        "Decay of a moving average of the weights, which is what gets validated and kept (0 = off).",
        0.0,
        0.99999,
        "%g",
    ),
    "max_grad_norm": (
        "Gradient clipping norm",
        "Largest allowed gradient norm per step.",
        1e-3,
        1000.0,
        "%g",
    ),
    "mixed_precision": (
        "Mixed precision on the GPU",
        "Faster training on CUDA GPUs (bfloat16 where supported); ignored on the CPU.",
        None,
        None,
        None,
    ),
}

#: Key prefixes of the architecture and shared member settings (training settings have none).
ARCHITECTURE_PREFIX = "arch_"
MEMBERS_PREFIX = "members_"


@dataclass(frozen=True)
class FormField:
    """One setting of the Train form.

    Attributes
    ----------
    key
        Unique in its family's form: the setting's name for training settings, ``arch_<name>`` for
        architecture settings, ``members_<name>`` for settings shared by an ensemble's members (a page makes
        its widget key from it).
    name
        The setting's name in its config.
    label
        What the widget is labelled.
    kind
        One of :data:`FIELD_KINDS`.
    default
        The family's default, of the setting's type (a tuple for ``list`` and ``choices``).
    help
        A sentence or two on what the setting does (None when there is nothing to say).
    minimum, maximum
        Bounds of a number (None: none); whole numbers without a bound start at 0.
    number_format
        printf-style format of a decimal number (e.g. ``"%g"``), or None.
    choices
        The values of a ``choice`` or ``choices`` field, in the order offered.
    """

    key: str
    name: str
    label: str
    kind: str
    default: Any
    help: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    number_format: str | None = None
    choices: tuple[str, ...] | None = None

    @property
    def initial(self) -> Any:
        """What the widget starts with: the default as the widget holds it.

        A list for ``choices``, the comma-separated text of a ``list``, text for ``text``.
        """
        if self.kind == "choices":
            return list(self.default)
        if self.kind == "list":
            return ", ".join(map(str, self.default))
        if self.kind == "text":
            return str(self.default)
        return self.default

    def parse(self, value: Any) -> Any:
        """The widget's ``value`` converted back to the type of :attr:`default`.

        Raises
        ------
        ValueError
            When the value cannot be read (an empty multiple choice, a list that is not comma-separated
            values of the right type), naming the setting by its label.
        """
        if self.kind == "choices":
            chosen = [choice for choice in self.choices or () if choice in list(value or ())]
            if not chosen:
                raise ValueError(f"{self.label}: choose at least one")
            return tuple(chosen)
        if self.kind == "bool":
            return bool(value)
        if self.kind == "int":
            return int(value)
        if self.kind == "float":
            return float(value)
        if self.kind == "list":
            return _parse_list(self.label, self.default, value)
        return str(value)


def _parse_list(label: str, default: tuple, value: Any) -> tuple:
    kind = type(default[0]) if default else str
    parts = [part.strip() for part in str(value).split(",") if part.strip()]
    if not parts:
        raise ValueError(f"{label}: enter at least one value, separated by commas")
    try:
        return tuple(kind(part) for part in parts)
    except ValueError:
        wanted = {int: "whole numbers", float: "numbers"}.get(kind, "values")
        raise ValueError(f"{label}: {value!r} is not a comma-separated list of {wanted}") from None


@dataclass(frozen=True)
class TrainingForm:
    """Everything the Train form offers for one family (see :func:`training_form`).

    Attributes
    ----------
    family
        The family's name (a key of :data:`rnaapp.models.FAMILIES`).
    config_name
        The name of the family's config class (whose documentation describes the settings).
    training, more_training
        Training settings: the main block, and the "more optimisation settings" block.
    architecture
        The family's own architecture settings.
    members
        Families whose settings the family's config holds, one dict each (an ensemble's); empty otherwise.
    member_settings
        Yes/no and choice settings every member has with the same default: offered once, applied to all.
    """

    family: str
    config_name: str
    training: tuple[FormField, ...]
    more_training: tuple[FormField, ...]
    architecture: tuple[FormField, ...]
    members: tuple[str, ...] = ()
    member_settings: tuple[FormField, ...] = ()

    @property
    def fields(self) -> tuple[FormField, ...]:
        """Every field of the form, in the order drawn."""
        return self.training + self.more_training + self.architecture + self.member_settings

    def settings(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The model and training settings of the form's values.

        Parameters
        ----------
        values
            Widget value by :attr:`FormField.key`, for every field of the form.

        Returns
        -------
        (dict, dict)
            Model settings (architecture settings; for an ensemble also one dict per member holding the
            shared member settings that differ from the default) and training settings, as
            :func:`rnaapp.jobs.start_training` takes them. The training device is not part of the form.

        Raises
        ------
        ValueError
            For a value that cannot be read, naming the setting.
        """
        training = {
            field.name: field.parse(values[field.key]) for field in self.training + self.more_training
        }
        model = {field.name: field.parse(values[field.key]) for field in self.architecture}
        changed = {}
        for field in self.member_settings:
            value = field.parse(values[field.key])
            if value != field.default:
                changed[field.name] = value
        if changed:
            for member in self.members:
                model[member] = dict(changed)
        return model, training


def field_label(name: str) -> str:
    """A setting's name as a label: ``"embedding_dim"`` -> ``"Embedding dim"``."""
    return name.replace("_", " ").capitalize()


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def attribute_help(config_class: type) -> dict[str, str]:
    """Setting name -> its description, from the numpydoc ``Attributes`` section of ``config_class``.

    Entries naming several settings (``mirna_length, target_length``) give each the same text; Sphinx roles
    (``:class:`X```) become plain code.
    """
    lines = (config_class.__doc__ or "").expandtabs().splitlines()
    helps: dict[str, str] = {}
    inside = False
    names: list[str] = []
    text: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if names and text:
            description = _ROLE.sub(r"`\1`", " ".join(text))
            helps.update(dict.fromkeys(names, description))

    for index, line in enumerate(lines):
        stripped = line.strip()
        if not inside:
            if stripped == "Attributes" and index + 1 < len(lines) and set(lines[index + 1].strip()) == {"-"}:
                inside = True
            continue
        if set(stripped) == {"-"}:
            if names:  # the underline of the next section
                names.pop()
                break
            continue
        if not stripped:
            continue
        depth = len(line) - len(line.lstrip())
        if indent is None:
            indent = depth
        if depth <= indent:
            flush()
            names, text = [name.strip() for name in stripped.split(":")[0].split(",")], []
        else:
            text.append(stripped)
    flush()
    return helps


def _number_field(
    key: str, name: str, label: str, default: Any, help_text: str | None, low: Any, high: Any, fmt: Any
) -> FormField:
    kind = "bool" if isinstance(default, bool) else "int" if isinstance(default, int) else "float"
    if kind == "int" and low is None:
        low = 0
    return FormField(
        key, name, label, kind, default, help_text, low, high, (fmt or "%g") if kind == "float" else None
    )


def _setting_field(
    key: str,
    name: str,
    label: str,
    default: Any,
    help_text: str | None,
    choices: tuple[str, ...] | None = None,
    multi_choices: tuple[str, ...] | None = None,
) -> FormField:
    """A field whose kind follows its default (tuples: a comma-separated list), or a choice."""
    if multi_choices is not None:
        return FormField(key, name, label, "choices", tuple(default), help_text, choices=tuple(multi_choices))
    if choices is not None:
        return FormField(key, name, label, "choice", default, help_text, choices=tuple(choices))
    if isinstance(default, (bool, int, float)):
        return _number_field(key, name, label, default, help_text, None, None, "%g")
    if isinstance(default, tuple):
        return FormField(key, name, f"{label} (comma-separated)", "list", default, help_text)
    return FormField(key, name, label, "text", default, help_text)


def _architecture(family: str) -> list[dataclasses.Field]:
    """Fields of a family's config with a plain default, except :data:`HIDDEN_SETTINGS`.

    An ensemble's member dicts have no plain default.
    """
    return [
        field
        for field in dataclasses.fields(FAMILIES[family].config_class)
        if field.default is not dataclasses.MISSING and field.name not in HIDDEN_SETTINGS
    ]


def _choices(family: str, setting: str) -> tuple[str, ...] | None:
    return FAMILY_SETTING_CHOICES.get(family, {}).get(setting, SETTING_CHOICES.get(setting))


def member_families(family: str) -> tuple[str, ...]:
    """Families whose settings ``family``'s config holds as dicts, one per member (an ensemble's)."""
    return tuple(
        field.name
        for field in dataclasses.fields(FAMILIES[family].config_class)
        if field.name in FAMILIES and field.default is dataclasses.MISSING
    )


def _shared_member_settings(family: str, members: tuple[str, ...]) -> list[dataclasses.Field]:
    """Yes/no and choice settings that every member has, with the same default."""
    if not members:
        return []
    by_member = [
        {
            field.name: field
            for field in _architecture(member)
            if isinstance(field.default, bool) or field.name in SETTING_CHOICES
        }
        for member in members
    ]
    return [
        field
        for name, field in by_member[0].items()
        if all(name in other and other[name].default == field.default for other in by_member[1:])
    ]


def training_form(family: str) -> TrainingForm:
    """Describe the Train form of ``family``: every setting a user may change, with its default.

    Parameters
    ----------
    family
        A key of :data:`rnaapp.models.FAMILIES`.

    Returns
    -------
    TrainingForm
        Its training, architecture and shared member settings as :class:`FormField` s.

    Raises
    ------
    KeyError
        For an unknown family.
    """
    if family not in FAMILIES:
        raise KeyError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    defaults = training_config_for(family)

    def training_fields(table: Mapping[str, tuple]) -> tuple[FormField, ...]:
        return tuple(
            _number_field(name, name, label, getattr(defaults, name), help_text, low, high, fmt)
            for name, (label, help_text, low, high, fmt) in table.items()
        )

    config_class = FAMILIES[family].config_class
    helps = attribute_help(config_class)
    architecture = tuple(
        _setting_field(
            ARCHITECTURE_PREFIX + field.name,
            field.name,
            field_label(field.name),
            field.default,
            helps.get(field.name),
            choices=_choices(family, field.name),
            multi_choices=SETTING_MULTI_CHOICES.get(field.name),
        )
        for field in _architecture(family)
    )
    members = member_families(family)
    shared = tuple(
        _setting_field(
            MEMBERS_PREFIX + field.name,
            field.name,
            f"{field_label(field.name)} ({' and '.join(members)})",
            field.default,
            f"Sets {field.name} of every member ({', '.join(members)}); the members' other settings are "
            "their families' defaults (the command line's --config sets them one by one).",
            choices=SETTING_CHOICES.get(field.name),
        )
        for field in _shared_member_settings(family, members)
    )
    return TrainingForm(
        family=family,
        config_name=config_class.__name__,
        training=training_fields(TRAINING_FIELDS),
        more_training=training_fields(MORE_TRAINING_FIELDS),
        architecture=architecture,
        members=members,
        member_settings=shared,
    )
