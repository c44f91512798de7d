"""How a policy finding is shown, in one place: its icon, a shape beside its type's name, so a
finding's severity never rests on colour alone (the console's editors and /simulate/)."""

from django import template

from simulator.iam.findings import FindingType

register = template.Library()

FINDING_ICONS = {
    FindingType.ERROR: "✖",
    FindingType.SECURITY_WARNING: "⚠",
    FindingType.WARNING: "△",
    FindingType.SUGGESTION: "ℹ",
}


@register.filter
def finding_icon(finding_type: FindingType) -> str:
    return FINDING_ICONS[finding_type]
