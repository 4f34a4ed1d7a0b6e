"""Forms of the consumer portal: the guided complaint form and closing an account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from accounts.models import User
from complaints.forms import ComplaintForm, active_categories
from complaints.models import Category


class GuidedComplaintForm(ComplaintForm):
    """A complaint in four steps; the product narrows the causes offered.

    Without JavaScript the cause list holds every cause grouped by product, so one select
    is enough; with htmx, choosing a product reloads the cause list for that product only.
    """

    product = forms.ModelChoiceField(
        queryset=active_categories().filter(parent__isnull=True),
        required=False,
        empty_label="Not sure",
        label="Which product or service is it about?",
    )

    field_order = ["product", "category", "subject", "description", "desired_outcome"]

    def __init__(self, *args: Any, product: Category | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choosing a product swaps in its causes (progressive enhancement, see the template).
        self.fields["product"].widget.attrs.update(
            {
                "hx-get": reverse("new_complaint"),
                "hx-trigger": "change",
                "hx-target": "#cause-field",
                "hx-swap": "outerHTML",
                "aria-controls": "cause-field",
            }
        )
        category = self.fields["category"]
        category.label = "What went wrong?"
        category.help_text = "Choose the closest match; “Not sure” is fine."
        categories = list(active_categories())
        self.payment_services_offered = any(item.payment_services for item in categories)
        chosen = product or self._chosen_product(categories)
        category.choices = cause_choices(categories, chosen)  # type: ignore[attr-defined]

    def _chosen_product(self, categories: list[Category]) -> Category | None:
        """The product picked in the submitted data, to keep the narrowed list on errors."""
        raw = self.data.get(self.add_prefix("product")) if self.is_bound else None
        return next((c for c in categories if str(c.pk) == raw and c.parent_id is None), None)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        product, category = data.get("product"), data.get("category")
        if product is not None and category is None and "category" not in self.errors:
            data["category"] = product
        elif (
            product is not None
            and category is not None
            and product.pk
            not in (
                category.pk,
                category.parent_id,
            )
        ):
            self.add_error("category", f"That is not one of the choices for {product.name}.")
        data.pop("product", None)
        return data


def cause_choices(categories: list[Category], product: Category | None) -> list[Any]:
    """The cause select: one product's causes, or every cause grouped by product."""
    products = [item for item in categories if item.parent_id is None]
    if product is not None:
        products = [item for item in products if item.pk == product.pk]
    choices: list[Any] = [("", "Not sure")]
    for item in products:
        causes = [(c.pk, c.name) for c in categories if c.parent_id == item.pk]
        general = (item.pk, f"Something else about {item.name}")
        if product is not None:
            choices.extend([*causes, general])
        else:
            choices.append((item.name, [*causes, general]))
    return choices


class CloseAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To confirm it is you.",
    )
    confirm = forms.BooleanField(
        label="I understand that I will not be able to sign in again.",
        error_messages={"required": "Tick the box to confirm you want to close your account."},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not correct.")
        return password
