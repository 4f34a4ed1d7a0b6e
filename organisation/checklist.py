"""What a tenant's first administrator still has to set up, read from the tenant's own data.

Rows an industry starter created (categories, teams, letter wording) count as reviewed only
once a person saved that page: the audit log says so (``actor_id`` is set for people, empty
for provisioning and the starter).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse

from accounts.models import Invitation, Role, User
from audit.models import AuditEvent
from complaints.letters import regulated_letters
from complaints.models import Priority, Team
from configuration.models import TenantSettings
from deadlines.models import SlaPolicy

Action = AuditEvent.Action
COLLEAGUE_ROLES = (Role.AGENT, Role.SPECIALIST, Role.MANAGER)
# The settings pages whose being saved by a person is what "reviewed" means.
REVIEW_ACTIONS = (
    Action.BRANDING_CHANGED,
    Action.BUSINESS_HOURS_CHANGED,
    Action.CLOSURE_ADDED,
    Action.CATEGORY_SAVED,
    Action.CATEGORY_DELETED,
    Action.ROOT_CAUSE_SAVED,
    Action.SECURITY_POLICY_CHANGED,
    Action.LETTER_TEMPLATE_SAVED,
    Action.LETTER_TEMPLATE_RESET,
)


@dataclass(frozen=True)
class ChecklistItem:
    """One step of the set-up: whether it is done, what is left, and the page that does it."""

    title: str
    done: bool
    detail: str
    url: str
    optional: bool = False


def _reviewed() -> dict[str, set[str]]:
    """Targets of each review action a person (not provisioning) performed, by action."""
    found: dict[str, set[str]] = {}
    rows = (
        AuditEvent.objects.filter(action__in=REVIEW_ACTIONS, actor_id__isnull=False)
        .values_list("action", "target")
        .distinct()
    )
    for action, target in rows:
        found.setdefault(action, set()).add(target)
    return found


def setup_checklist(profile: str) -> list[ChecklistItem]:
    """The first administrator's checklist for a tenant of regulatory ``profile``, in order.

    At most six queries: the audit log's review actions, the settings row (cached per
    request), the teams, staff (and invitations when there are no staff), and the SLA targets.
    """
    reviewed = _reviewed()
    settings = TenantSettings.current()

    def saved(*actions: Action) -> bool:
        return any(action in reviewed for action in actions)

    teams = list(
        Team.objects.annotate(
            staffed=Exists(Team.members.through.objects.filter(team_id=OuterRef("pk")))
        ).values_list("name", "staffed")
    )
    idle_teams = [name for name, staffed in teams if not staffed]
    colleagues = (
        User.objects.filter(role__in=COLLEAGUE_ROLES, is_active=True).exists()
        or Invitation.objects.pending().filter(role__in=COLLEAGUE_ROLES).exists()
    )
    priorities_with_targets = set(SlaPolicy.objects.values_list("priority", flat=True))
    missing_targets = [p.label for p in Priority if p.value not in priorities_with_targets]

    letter_kinds = regulated_letters(profile)
    letters_done = reviewed.get(Action.LETTER_TEMPLATE_SAVED, set()) | reviewed.get(
        Action.LETTER_TEMPLATE_RESET, set()
    )
    letters_left = [kind.label for kind in letter_kinds if kind.label not in letters_done]

    return [
        ChecklistItem(
            "Branding",
            saved(Action.BRANDING_CHANGED),
            "Your name, logo and colours are set."
            if saved(Action.BRANDING_CHANGED)
            else "Consumers see the default colours and no logo.",
            reverse("settings_branding"),
        ),
        ChecklistItem(
            "Business hours and holidays",
            saved(Action.BUSINESS_HOURS_CHANGED, Action.CLOSURE_ADDED),
            "Your working week and holidays are confirmed."
            if saved(Action.BUSINESS_HOURS_CHANGED, Action.CLOSURE_ADDED)
            else f"Still the default: {settings.opens:%H:%M}-{settings.closes:%H:%M}, "
            "Monday to Friday. Confirm it and add any office closures.",
            reverse("settings_hours"),
        ),
        ChecklistItem(
            "Categories and root causes reviewed",
            saved(Action.CATEGORY_SAVED, Action.CATEGORY_DELETED, Action.ROOT_CAUSE_SAVED),
            "Your products, causes and root causes have been reviewed."
            if saved(Action.CATEGORY_SAVED, Action.CATEGORY_DELETED, Action.ROOT_CAUSE_SAVED)
            else "Check the products and causes consumers choose from, and where each goes.",
            reverse("settings_categories"),
        ),
        ChecklistItem(
            "Teams with members",
            bool(teams) and not idle_teams,
            "No team yet: complaints have no queue to go to."
            if not teams
            else (
                "Nobody works these queues yet: " + ", ".join(idle_teams) + "."
                if idle_teams
                else "Every team has members."
            ),
            reverse("settings_teams"),
        ),
        ChecklistItem(
            "Staff invited",
            colleagues,
            "Colleagues have been invited."
            if colleagues
            else "Invite the agents, specialists and managers who will handle complaints.",
            reverse("settings_staff"),
        ),
        ChecklistItem(
            "SLA targets",
            not missing_targets,
            "Every priority has a first-response and a resolution target."
            if not missing_targets
            else "No targets for: " + ", ".join(missing_targets) + ".",
            reverse("settings_sla"),
        ),
        ChecklistItem(
            "Two-factor policy",
            settings.frontline_two_factor_required or saved(Action.SECURITY_POLICY_CHANGED),
            "Agents and specialists must use a second factor."
            if settings.frontline_two_factor_required
            else (
                "Agents and specialists sign in with a password alone, as decided."
                if saved(Action.SECURITY_POLICY_CHANGED)
                else "Agents and specialists sign in with a password alone: decide whether "
                "they must use a second factor."
            ),
            reverse("settings_security"),
        ),
        ChecklistItem(
            "Letter wording reviewed",
            not letters_left,
            "Every letter your regulator requires has been reviewed."
            if not letters_left
            else "Review and save: " + ", ".join(letters_left).lower() + ".",
            reverse("settings_letters"),
        ),
    ]
