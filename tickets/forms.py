"""Forms of the agent workspace, the customer portal and sign-up.

Forms check the shape of the input; the services decide what is allowed and raise
`helpdesk.errors.InvalidInput` with field errors, which the views put back on the form.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.db.models import Q

from tickets.models import Category, Organization, Priority, Product, State, User

INPUT = {"class": "input"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Accept several files from one input (size and type are checked by the services)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _active_categories():
    return Category.objects.filter(is_active=True).select_related("parent")


class CaseSubmitForm(forms.Form):
    subject = forms.CharField(max_length=200, help_text="A short summary, e.g. “Invoice shows the wrong amount”.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 7}), max_length=100_000,
        help_text="What happened, what you expected, and anything you already tried.",
    )
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="Not about a product")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="Not sure")
    attachments = MultipleFileField(help_text="Screenshots, receipts or logs; up to 10 files of 10 MB each.")

    def __init__(self, *args, requester: User, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(is_active=True)
        org = requester.organization
        if org is not None and org.entitled_products.exists():
            products = products.filter(entitled_organizations=org)
        self.fields["product"].queryset = products
        self.fields["category"].queryset = _active_categories()


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 5}), max_length=100_000)
    attachments = MultipleFileField()


class CommentForm(forms.Form):
    KIND_CHOICES = [("reply", "Public reply"), ("note", "Internal note")]

    kind = forms.ChoiceField(choices=KIND_CHOICES, initial="reply", widget=forms.RadioSelect)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=100_000)
    shared = forms.BooleanField(required=False, label="Share the note with every team on the case")
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = MultipleFileField()

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("macro"):
            self.add_error("body", "Write a message or choose a canned response.")
        return data


class TransitionForm(forms.Form):
    name = forms.CharField(max_length=40)
    reason = forms.CharField(max_length=2000, required=False, label="Reason (optional)")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody (back to queue)")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates


class CaseEditForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="None")
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="None")
    tags = forms.CharField(required=False, max_length=1000, help_text="Separate tags with commas.")
    custom = forms.CharField(
        label="Custom fields", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000,
        help_text="One “name: value” per line.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _active_categories()
        self.fields["product"].queryset = Product.objects.filter(is_active=True)

    def clean_tags(self):
        return [t.strip().lower() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def clean_custom(self):
        values = {}
        for number, line in enumerate(self.cleaned_data["custom"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise forms.ValidationError(f"Line {number} needs the form “name: value”.")
            values[name.strip()] = value.strip()
        return values


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words or CS-000123"}))
    state = forms.MultipleChoiceField(choices=State.choices, required=False, widget=forms.SelectMultiple(attrs={"size": 4}))
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False,
                                         widget=forms.SelectMultiple(attrs={"size": 4}))
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="Any")
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="Any")
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), required=False, empty_label="Any")
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    tags = forms.CharField(required=False, max_length=200, help_text="Comma-separated; all must match.")
    created_after = forms.DateField(required=False, label="Created from", widget=forms.DateInput(attrs={"type": "date"}))
    created_before = forms.DateField(required=False, label="Created before", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _active_categories()
        self.fields["product"].queryset = Product.objects.filter(is_active=True)
        self.fields["organization"].queryset = Organization.objects.only("id", "name")
        from tickets.models import STAFF_ROLES

        self.fields["assignee"].queryset = User.objects.filter(
            Q(memberships__team__memberships__user=user) | Q(pk=user.pk), role__in=STAFF_ROLES, is_active=True
        ).distinct().order_by("first_name", "username")


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True,
                                         error_messages={"required": "Select at least one case."})
    action = forms.CharField(max_length=60)
    assignee = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The ids are checked against what the user may see by the selector, case by case.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name this view")
    queue = forms.CharField(max_length=30)
    query = forms.CharField(max_length=1000, required=False)


class SignUpForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(max_length=150, label="E-mail address")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        elif data.get("password1"):
            probe = User(username=data.get("email", ""), email=data.get("email", ""), first_name=data.get("full_name", ""))
            try:
                validate_password(data["password1"], probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
