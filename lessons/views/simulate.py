"""The policy simulator (/simulate/): its form and its page.

A pure computation (lessons.simulate): a POST renders its answer, and nothing is saved.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from lessons.http import HtmxHttpRequest
from lessons.simulate import (
    BOUNDARY_SLOT,
    MAX_IDENTITY_POLICIES,
    MAX_POLICY_CHARS,
    MAX_SCP_LEVELS,
    RESOURCE_SLOT,
    SESSION_SLOT,
    ParsedPolicy,
    PolicyCheck,
    PolicyTextError,
    Simulation,
    Slot,
    check_policy,
    identity_slot,
    parse_context,
    parse_policy_text,
    run_simulation,
    scp_slot,
)
from simulator.iam import Principal

# --- The form ------------------------------------------------------------------------------------

EXAMPLE_CALLERS = (
    ("arn:aws:iam::111122223333:user/alice", "IAM user"),
    ("arn:aws:iam::111122223333:role/AppRole", "IAM role"),
    ("arn:aws:sts::111122223333:assumed-role/AppRole/i-0abc1234def567890", "Role session of an EC2 instance"),
    ("ec2.amazonaws.com", "Service principal"),
    ("anonymous", "Anonymous caller"),
)  # fmt: skip

EXAMPLE_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "ec2:RunInstances",
    "ec2:DescribeInstances",
    "iam:PassRole",
    "iam:CreateAccessKey",
    "sts:AssumeRole",
    "ssm:StartSession",
)

WORKED_EXAMPLE: dict[str, str] = {
    "caller": "arn:aws:sts::111122223333:assumed-role/AppRole/i-0abc1234def567890",
    "iam_action": "s3:GetObject",
    "resource": "arn:aws:s3:::reports-bucket/reports/q1.csv",
    "resource_account": "111122223333",
    "context_keys": "aws:SourceIp = 203.0.113.5\n",
    "identity_policy_1": """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadAndWriteReports",
      "Effect": "Allow",
      "Action": ["s3:PutObject", "s3:GetObject"],
      "Resource": "arn:aws:s3:::reports-bucket/*"
    }
  ]
}""",
}
"""What /simulate/ opens with: an EC2 instance's role may Put and Get reports in a bucket."""

_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9]+")
_ACCOUNT = re.compile(r"[0-9]{12}")


class PolicyError(ValidationError):
    """A policy the engine cannot read; keeps the `PolicyTextError` (line, column) for display."""

    def __init__(self, problem: PolicyTextError) -> None:
        super().__init__(str(problem), code="invalid_policy")
        self.problem = problem


class PolicyField(forms.CharField):
    """A policy textarea. Blank means the policy is absent (cleans to None); otherwise the
    text is parsed once into a `ParsedPolicy`, or the error says where and what to fix."""

    def __init__(self, slot: Slot, **kwargs: Any) -> None:
        self.slot = slot
        # No max_length: it would add maxlength to the textarea, and the browser would cut a
        # long paste short without a word. parse_policy_text says how long is too long.
        # The template renders the textarea itself, with its htmx attributes.
        super().__init__(
            label=slot.label,
            required=False,
            strip=False,  # keep the text as typed, so line and column numbers match it
            widget=forms.Textarea,
            **kwargs,
        )

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace("\r\n", "\n")

    def clean(self, value: Any) -> ParsedPolicy | None:  # type: ignore[override]
        text = self.to_python(value)
        self.run_validators(text)
        if not text.strip():
            return None
        try:
            return parse_policy_text(text, name=self.slot.label, kind=self.slot.kind)
        except PolicyTextError as error:
            raise PolicyError(error) from None


class PolicyBox(NamedTuple):
    """A policy textarea and what is shown beside it."""

    slot: Slot
    field: forms.BoundField
    check: PolicyCheck

    @property
    def rows(self) -> int:
        """Tall enough for the text, within reason."""
        text = self.field.value() or ""
        return min(max(text.count("\n") + 2, 6), 24)


class Problem(NamedTuple):
    """An error to fix before the request can be evaluated, linked to its field."""

    label: str
    field_id: str
    message: str


class SimulatorForm(forms.Form):
    """The request (who, what, on which resource, with which context) and the policies."""

    caller = forms.CharField(
        label="Caller",
        max_length=2048,
        help_text="An IAM user or role ARN, a role session (assumed-role) ARN, a service "
        "principal such as ec2.amazonaws.com, or the word anonymous.",
        widget=forms.TextInput(
            attrs={"list": "caller-examples", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    iam_action = forms.CharField(
        label="Action",
        max_length=256,
        help_text="service:Operation, e.g. s3:GetObject.",
        widget=forms.TextInput(
            attrs={"list": "action-examples", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    resource = forms.CharField(
        label="Resource ARN",
        max_length=2048,
        help_text="The ARN the action is on, or * for actions without a resource.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "off"}),
    )
    resource_account = forms.CharField(
        label="Resource owner account",
        required=False,
        max_length=12,
        help_text="12 digits. S3 ARNs carry no account ID, so say who owns the bucket.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    context_keys = forms.CharField(
        label="Context keys",
        required=False,
        strip=False,
        help_text="One key = value per line, e.g. aws:SourceIp = 203.0.113.5. Several values: "
        "aws:PrincipalTag/team = [a, b].",
        widget=forms.Textarea(
            attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off", "class": "mono"}
        ),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        identity_count: int = 1,
        scp_count: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.identity_slots = [identity_slot(n) for n in range(1, identity_count + 1)]
        self.scp_slots = [scp_slot(n) for n in range(1, scp_count + 1)]
        for slot in [*self.identity_slots, RESOURCE_SLOT, BOUNDARY_SLOT, SESSION_SLOT]:
            self.fields[slot.name] = PolicyField(slot)
        for slot in self.scp_slots:
            self.fields[slot.name] = PolicyField(slot)

    @staticmethod
    def counts_in(data: Mapping[str, Any]) -> tuple[int, int]:
        """How many identity policies and SCP levels the posted form had."""

        def highest(prefix: str, most: int) -> int:
            numbers = [
                int(match[1])
                for key in data
                if (match := re.fullmatch(prefix + r"([1-9][0-9]?)", key))
            ]
            return min(max(numbers, default=1), most)

        return (
            highest("identity_policy_", MAX_IDENTITY_POLICIES),
            highest("scp_", MAX_SCP_LEVELS),
        )

    @property
    def policy_slots(self) -> list[Slot]:
        return [*self.identity_slots, RESOURCE_SLOT, BOUNDARY_SLOT, SESSION_SLOT, *self.scp_slots]

    def slot(self, name: str) -> Slot | None:
        return next((slot for slot in self.policy_slots if slot.name == name), None)

    def clean_caller(self) -> str:
        caller: str = self.cleaned_data["caller"]
        try:
            Principal.parse(caller)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_caller") from None
        return caller

    def clean_iam_action(self) -> str:
        action: str = self.cleaned_data["iam_action"]
        if not _ACTION.fullmatch(action):
            raise ValidationError(
                f"{action!r} is not an action: write service:Operation, e.g. s3:GetObject "
                "(one action; wildcards belong in policies, not in a request).",
                code="invalid_action",
            )
        return action

    def clean_resource(self) -> str:
        resource: str = self.cleaned_data["resource"]
        parts = resource.split(":", 5)
        if resource != "*" and (len(parts) != 6 or parts[0] != "arn" or not parts[2]):
            raise ValidationError(
                f"{resource!r} is not an ARN: ARNs look like arn:aws:s3:::bucket/key or "
                "arn:aws:iam::111122223333:role/AppRole. Use * for actions without a resource.",
                code="invalid_resource",
            )
        return resource

    def clean_resource_account(self) -> str:
        account: str = self.cleaned_data["resource_account"]
        if account and not _ACCOUNT.fullmatch(account):
            raise ValidationError(
                "An AWS account ID is 12 digits, e.g. 111122223333.", code="invalid_account"
            )
        return account

    def clean_context_keys(self) -> dict[str, str | list[str]]:
        try:
            return parse_context(self.cleaned_data["context_keys"])
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_context") from None

    # --- Running it ---------------------------------------------------------------------------

    def simulate(self) -> Simulation | None:
        """Evaluate the request, or None while the form has errors."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return run_simulation(
            caller=data["caller"],
            action=data["iam_action"],
            resource=data["resource"],
            resource_account=data["resource_account"],
            context=data["context_keys"],
            policies=[
                (slot, data[slot.name])
                for slot in self.policy_slots
                if data.get(slot.name) is not None
            ],
        )

    def boxes(self) -> dict[str, PolicyBox]:
        """Every policy textarea with its findings, after the whole form was validated."""
        boxes: dict[str, PolicyBox] = {}
        for slot in self.policy_slots:
            errors = self.errors.as_data().get(slot.name, [])
            problem = next((e.problem for e in errors if isinstance(e, PolicyError)), None)
            other = [message for e in errors if not isinstance(e, PolicyError) for message in e]
            bound = self[slot.name]
            text = self.fields[slot.name].to_python(bound.value())
            boxes[slot.name] = PolicyBox(slot, bound, check_policy(slot, text, problem, other))
        return boxes

    def box(self, slot: Slot) -> PolicyBox:
        """One policy textarea with its findings, leaving the rest of the form unchecked."""
        field = self.fields[slot.name]
        raw = self[slot.name].value()
        problem = None
        other: list[str] = []
        try:
            field.clean(raw)
        except PolicyError as error:
            problem = error.problem
        except ValidationError as error:
            other = error.messages
        return PolicyBox(
            slot, self[slot.name], check_policy(slot, field.to_python(raw), problem, other)
        )

    def problems(self, boxes: Mapping[str, PolicyBox]) -> list[Problem]:
        """Every error, request fields first, for the result panel to list."""
        problems: list[Problem] = []
        for name, errors in self.errors.items():
            if name in boxes:
                continue
            label = str(self.fields[name].label) if name in self.fields else "Form"
            problems.extend(Problem(label, f"id_{name}", str(message)) for message in errors)
        for box in boxes.values():
            field_id = box.field.id_for_label
            if box.check.problem is not None:
                problems.append(Problem(box.slot.label, field_id, str(box.check.problem)))
            problems.extend(Problem(box.slot.label, field_id, m) for m in box.check.other)
        return problems


# --- The page ------------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def simulate(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            request.POST  # noqa: B018 -- parse now, inside our try
        except (RequestDataTooBig, TooManyFieldsSent):
            return _too_large(request)
    return _simulate(request)


@csrf_protect
def _simulate(request: HtmxHttpRequest) -> HttpResponse:
    """The policy simulator: a pure computation, so a POST renders its answer (no PRG:
    nothing is saved, and reloading just asks the same question again)."""
    if request.method == "GET":
        form = SimulatorForm(WORKED_EXAMPLE)
        return _render_page(request, form)

    action = request.POST.get("action", "evaluate")
    identity_count, scp_count = SimulatorForm.counts_in(request.POST)
    if action == "validate":
        form = SimulatorForm(request.POST, identity_count=identity_count, scp_count=scp_count)
        slot = form.slot(request.POST.get("field", ""))
        if slot is None:
            return HttpResponseBadRequest("Unknown policy field.")
        return render(request, "lessons/simulate.html#findings", {"box": form.box(slot)})
    focus = None
    if action == "add-identity-policy":
        identity_count = min(identity_count + 1, MAX_IDENTITY_POLICIES)
        focus = f"identity_policy_{identity_count}"
    elif action == "add-scp-level":
        scp_count = min(scp_count + 1, MAX_SCP_LEVELS)
        focus = f"scp_{scp_count}"
    elif action != "evaluate":
        return HttpResponseBadRequest("Unknown action.")
    form = SimulatorForm(request.POST, identity_count=identity_count, scp_count=scp_count)
    if focus is not None and request.htmx:
        # A new textarea changes the form itself: swap the whole simulator in.
        response = _render_page(request, form, focus=focus, partial="simulator")
        return reswap(retarget(response, "#simulator"), "outerHTML")
    return _render_page(request, form, focus=focus, partial="evaluated" if request.htmx else None)


def _render_page(
    request: HtmxHttpRequest,
    form: SimulatorForm,
    *,
    focus: str | None = None,
    partial: str | None = None,
) -> HttpResponse:
    name = "lessons/simulate.html" + (f"#{partial}" if partial else "")
    return render(request, name, _page_context(form, focus=focus))


def _page_context(form: SimulatorForm, *, focus: str | None = None) -> dict[str, Any]:
    """Validate the form, run the simulation if it is valid, and describe every policy box."""
    simulation = form.simulate()
    boxes = form.boxes()
    return {
        "form": form,
        "simulation": simulation,
        "problems": form.problems(boxes),
        "focus": focus,
        "boxes": list(boxes.values()),
        "identity_boxes": [boxes[slot.name] for slot in form.identity_slots],
        "scp_boxes": [boxes[slot.name] for slot in form.scp_slots],
        "resource_box": boxes[RESOURCE_SLOT.name],
        "boundary_box": boxes[BOUNDARY_SLOT.name],
        "session_box": boxes[SESSION_SLOT.name],
        "can_add_identity": len(form.identity_slots) < MAX_IDENTITY_POLICIES,
        "can_add_scp": len(form.scp_slots) < MAX_SCP_LEVELS,
        "caller_examples": EXAMPLE_CALLERS,
        "action_examples": EXAMPLE_ACTIONS,
        **_limits(),
    }


def _limits() -> dict[str, str]:
    return {
        "max_policy_chars": f"{MAX_POLICY_CHARS:,}",
        "upload_limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
    }


def _too_large(request: HtmxHttpRequest) -> HttpResponse:
    """The form was too big to read at all: Django refuses a body over 2.5 MB."""
    if request.htmx:
        target = request.htmx.target or ""
        if target.startswith("findings-"):  # an as-you-type check of one huge policy
            context = {"target": target, **_limits()}
            return render(request, "lessons/simulate.html#findings-too-large", context)
        return render(request, "lessons/simulate.html#result", {"too_large": True, **_limits()})
    context = {**_page_context(SimulatorForm(WORKED_EXAMPLE)), "too_large": True}
    return render(request, "lessons/simulate.html", context, status=413)
