"""Binding profiles: physical inputs -> latent actions, and the rule that picks one action.

A :class:`Profile` binds input chords (tuples of input ids, see :mod:`genie_studio.controls.inputs`)
to action indices, and keeps each action's label so people can read it and so a profile can follow
its actions to another model (:func:`remap`).

Resolution rule (:func:`resolve`), applied every time the world steps:

1. the candidates are the bindings whose inputs are all held;
2. chords first: a candidate with more inputs beats one with fewer (Right + A beats A alone);
3. then the most recent press: among equal sizes, the candidate whose newest input was pressed
   last wins (hold Left, press Right -> right; let go of Right -> left again);
4. then profile order (only for two bindings of the same inputs, which :func:`conflicts` reports);
5. nothing held (or nothing bound held) -> the profile's ``idle`` action.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_studio.controls.inputs import (
    DEFAULT_DEADZONE,
    DEFAULT_TRIGGER_THRESHOLD,
    InputError,
    describe_chord,
    validate,
)

FORMAT = "genie-studio-controls"
VERSION = 1


class ProfileError(ValueError):
    """A profile document is malformed; the message says where."""


@dataclass(frozen=True)
class Binding:
    action: int
    label: str
    inputs: tuple[str, ...]

    @property
    def is_chord(self) -> bool:
        return len(self.inputs) > 1


def _chord(inputs) -> tuple[str, ...]:
    if isinstance(inputs, str):
        inputs = (inputs,)
    out = tuple(dict.fromkeys(validate(i) for i in inputs))
    if not out:
        raise InputError("a binding needs at least one input")
    return out


@dataclass
class Profile:
    labels: list[str]
    bindings: list[Binding] = field(default_factory=list)
    idle: int = 0
    model: str = ""
    deadzone: float = DEFAULT_DEADZONE
    trigger_threshold: float = DEFAULT_TRIGGER_THRESHOLD

    # ---- editing ----------------------------------------------------------------------------------
    def bind(self, action: int, inputs) -> Binding:
        """Add a binding (inputs: one id or a chord); binding the same chord twice to one action is a no-op."""
        self._check_action(action)
        chord = _chord(inputs)
        for b in self.bindings:
            if b.action == action and set(b.inputs) == set(chord):
                return b
        b = Binding(action, self.labels[action], chord)
        self.bindings.append(b)
        return b

    def unbind(self, action: int, inputs) -> bool:
        chord = set(_chord(inputs))
        before = len(self.bindings)
        self.bindings = [b for b in self.bindings if not (b.action == action and set(b.inputs) == chord)]
        return len(self.bindings) != before

    def clear(self, action: int) -> None:
        self.bindings = [b for b in self.bindings if b.action != action]

    def bindings_for(self, action: int) -> list[Binding]:
        return [b for b in self.bindings if b.action == action]

    def _check_action(self, action: int) -> None:
        if isinstance(action, bool) or not isinstance(action, int) or not 0 <= action < len(self.labels):
            raise ProfileError(f"action {action!r} out of range 0..{len(self.labels) - 1} ({', '.join(self.labels)})")

    # ---- (de)serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "model": self.model, "labels": list(self.labels),
                "idle": self.idle, "deadzone": self.deadzone, "trigger_threshold": self.trigger_threshold,
                "bindings": [{"action": b.action, "label": b.label, "inputs": list(b.inputs)}
                             for b in self.bindings]}

    @classmethod
    def from_dict(cls, d) -> Profile:
        if not isinstance(d, dict):
            raise ProfileError("a profile is a JSON object")
        if d.get("format", FORMAT) != FORMAT:
            raise ProfileError(f"not a controls profile (format {d.get('format')!r})")
        v = d.get("version")
        if not isinstance(v, int) or v < 1:
            raise ProfileError(f"missing or bad profile version {v!r}")
        if v > VERSION:
            raise ProfileError(f"profile version {v} is newer than this Genie Studio understands ({VERSION})")
        labels = d.get("labels")
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
            raise ProfileError("'labels' must be a non-empty list of action labels")
        p = cls(labels=list(labels), model=str(d.get("model", "")))
        p.deadzone = _number(d, "deadzone", DEFAULT_DEADZONE, 0.0, 0.95)
        p.trigger_threshold = _number(d, "trigger_threshold", DEFAULT_TRIGGER_THRESHOLD, 0.01, 1.0)
        idle = d.get("idle", 0)
        p._check_action(idle)
        p.idle = idle
        raw = d.get("bindings", [])
        if not isinstance(raw, list):
            raise ProfileError("'bindings' must be a list")
        for n, b in enumerate(raw):
            if not isinstance(b, dict) or "inputs" not in b or "action" not in b:
                raise ProfileError(f"binding #{n + 1} needs 'action' and 'inputs'")
            try:
                p._check_action(b["action"])
                chord = _chord(b["inputs"])
            except (InputError, ProfileError) as e:
                raise ProfileError(f"binding #{n + 1}: {e}") from None
            label = b.get("label", labels[b["action"]])
            if label != labels[b["action"]]:
                raise ProfileError(f"binding #{n + 1}: label {label!r} does not match action "
                                   f"{b['action']} ({labels[b['action']]!r})")
            p.bindings.append(Binding(b["action"], label, chord))
        return p


def _number(d: dict, key: str, default: float, lo: float, hi: float) -> float:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise ProfileError(f"'{key}' must be a number in {lo}..{hi}, not {v!r}")
    return float(v)


def active_binding(profile: Profile, order: dict[str, int]) -> Binding | None:
    """The binding the resolution rule picks for the held inputs, or None (the idle action is sent)."""
    best, best_key = None, None
    for pos, b in enumerate(profile.bindings):
        if all(i in order for i in b.inputs):
            key = (len(b.inputs), max(order[i] for i in b.inputs), -pos)
            if best_key is None or key > best_key:
                best, best_key = b, key
    return best


def resolve(profile: Profile, order: dict[str, int]) -> int:
    """Held inputs (id -> press number, larger = newer) -> the action to send (see module docstring)."""
    b = active_binding(profile, order)
    return profile.idle if b is None else b.action


def key_table(profile: Profile, labels: list[str] | None = None) -> dict[str, str]:
    """The profile's keyboard bindings for people: ``{"(no key)": "noop", "Left": "left",
    "Right+Space": "right+jump", "1": "noop", ...}`` (a project records it); ``labels`` renames the actions."""
    names = list(labels) if labels is not None and len(labels) == len(profile.labels) else profile.labels
    out = {"(no key)": names[profile.idle]}
    for b in profile.bindings:
        if all(i.startswith("key:") for i in b.inputs):
            out.setdefault("+".join(i[4:] for i in b.inputs), names[b.action])
    return out


def conflicts(profile: Profile) -> list[str]:
    """People-facing warnings: one chord bound to two different actions (only the first one ever fires)."""
    seen: dict[frozenset, Binding] = {}
    out = []
    for b in profile.bindings:
        k = frozenset(b.inputs)
        if k in seen and seen[k].action != b.action:
            out.append(f"{describe_chord(b.inputs)} is bound to both '{seen[k].label}' and '{b.label}'; "
                       f"only '{seen[k].label}' will be sent")
        seen.setdefault(k, b)
    return out


def remap(profile: Profile, labels: list[str]) -> tuple[Profile, list[str]]:
    """Carry a profile over to a model with actions ``labels``, matching actions by label.

    Returns the new profile and a list of problems for people: bindings whose action the new model
    lacks (dropped) and new actions left without any binding. Same labels -> same profile, no problems.
    """
    low = [label.strip().lower() for label in labels]
    out = Profile(labels=list(labels), model=profile.model, deadzone=profile.deadzone,
                  trigger_threshold=profile.trigger_threshold)
    problems: list[str] = []
    idle_label = profile.labels[profile.idle].strip().lower()
    if idle_label in low:
        out.idle = low.index(idle_label)
    else:
        problems.append(f"idle action '{profile.labels[profile.idle]}' is not an action of this model; "
                        f"using '{labels[0]}' when nothing is held")
    for b in profile.bindings:
        name = b.label.strip().lower()
        if name in low:
            out.bind(low.index(name), b.inputs)
        else:
            problems.append(f"action '{b.label}' is not in this model ({', '.join(labels)}); "
                            f"dropped its binding {describe_chord(b.inputs)}")
    old = {label.strip().lower() for label in profile.labels}
    for i, label in enumerate(labels):
        if label.strip().lower() not in old and i != out.idle:
            problems.append(f"action '{label}' is new in this model and has no binding yet")
    return out, problems
