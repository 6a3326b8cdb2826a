"""Case API serializers: input serializers validate, output serializers render."""

from __future__ import annotations

import copy

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from tickets import reference
from tickets.models import (
    TRANSITION_LABELS,
    Attachment,
    Case,
    CaseEvent,
    Category,
    Channel,
    Comment,
    Organization,
    Priority,
    Product,
    Tag,
    User,
    reference_for,
)

# --- output ----------------------------------------------------------------------------


class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "role"]

    def get_name(self, obj) -> str:
        return obj.get_full_name() or obj.username


class OrganizationSerializer(serializers.ModelSerializer):
    entitled_products = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "tier", "parent", "domain", "entitled_products"]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "slug", "area", "is_active"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "is_active"]


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    """A case as a list row or a board card."""

    reference = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    requester = UserBriefSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True)
    organization = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "reference", "subject", "state", "state_label", "priority", "channel", "escalation_level",
            "requester", "assignee", "organization", "product", "category", "team", "tags", "version",
            "created_at", "updated_at", "first_responded_at", "resolved_at", "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_organization(self, obj):
        return _ref(obj.organization, tier=obj.organization.tier if obj.organization else None)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_product(self, obj):
        return _ref(obj.product)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_category(self, obj):
        return _ref(obj.category)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_team(self, obj):
        return _ref(obj.team)

    def get_tags(self, obj) -> list[str]:
        # Prefetched (queue pages) or remembered (a new case): read without building a manager.
        tags = getattr(obj, "_prefetched_objects_cache", {}).get("tags")
        return sorted(t.name for t in (obj.tags.all() if tags is None else tags))

    def to_representation(self, obj):
        # Built by hand because queue pages render up to 200 rows and DRF's field-by-field
        # rendering cost about 1 ms a row (bench/cases.md). Same keys and values as the
        # declared fields above, which still describe the schema.
        at = _datetime_out()
        org = obj.organization
        return {
            "id": obj.pk, "reference": obj.reference, "subject": obj.subject, "state": str(obj.state),
            "state_label": obj.get_state_display(), "priority": str(obj.priority), "channel": str(obj.channel),
            "escalation_level": obj.escalation_level,
            "requester": _user_brief(obj.requester), "assignee": _user_brief(obj.assignee),
            "organization": _ref(org, tier=org.tier if org else None), "product": _ref(obj.product),
            "category": _ref(obj.category), "team": _ref(obj.team), "tags": self.get_tags(obj),
            "version": obj.version, "created_at": at(obj.created_at), "updated_at": at(obj.updated_at),
            "first_responded_at": at(obj.first_responded_at), "resolved_at": at(obj.resolved_at),
            "closed_at": at(obj.closed_at),
        }


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()


class CaseDetailSerializer(CaseSerializer):
    """A case with its description, custom fields and the transitions the caller may make."""

    allowed_transitions = serializers.SerializerMethodField()
    customer_state_label = serializers.CharField(read_only=True)
    merged_into = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = CaseSerializer.Meta.fields + [
            "description", "custom_fields", "reopen_count", "merged_into", "customer_state_label",
            "allowed_transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(TransitionOptionSerializer(many=True))
    def get_allowed_transitions(self, obj):
        from tickets.services.cases import transitions_for

        user = self.context["request"].user
        return [{"name": n, "label": TRANSITION_LABELS[n]} for n in transitions_for(obj, user)]

    def get_merged_into(self, obj) -> str | None:
        return reference_for(obj.merged_into_id) if obj.merged_into_id else None

    def to_representation(self, obj):
        data = super().to_representation(obj)
        data.update({
            "description": obj.description, "custom_fields": obj.custom_fields, "reopen_count": obj.reopen_count,
            "merged_into": self.get_merged_into(obj), "customer_state_label": obj.customer_state_label,
            "allowed_transitions": self.get_allowed_transitions(obj),
        })
        return data


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "created_at", "download_url"]

    def get_download_url(self, obj) -> str:
        return f"/api/v1/attachments/{obj.pk}/download/"


class CommentSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    visibility = serializers.CharField(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_public", "shared", "visibility", "created_at", "attachments"]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    """One event of a case timeline; also the payload of live board messages."""

    case_reference = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "id", "case", "case_reference", "kind", "occurred_at", "actor_kind", "actor", "before", "after",
            "reason", "visibility", "data",
        ]
        read_only_fields = fields

    def get_case_reference(self, obj) -> str:
        from tickets.models import reference_for

        return reference_for(obj.case_id)

    @extend_schema_field(serializers.DictField())
    def get_actor(self, obj):
        return {"id": obj.actor_id, "kind": obj.actor_kind, "name": obj.actor_label}

    def to_representation(self, obj):
        # Built by hand, like CaseSerializer's: timelines and every live board message
        # render events. Same keys and values as the declared fields, which give the schema.
        return {
            "id": obj.pk, "case": obj.case_id, "case_reference": self.get_case_reference(obj), "kind": str(obj.kind),
            "occurred_at": _datetime_out()(obj.occurred_at), "actor_kind": str(obj.actor_kind),
            "actor": self.get_actor(obj), "before": obj.before, "after": obj.after, "reason": obj.reason,
            "visibility": str(obj.visibility), "data": obj.data,
        }


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="400 only: the messages for each field that was refused.",
    )
    state = serializers.CharField(required=False, help_text="409 only: the case's current state.")
    version = serializers.IntegerField(required=False, help_text="409 only: the case's current version.")
    allowed_transitions = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="409 only: what the caller may do now.",
    )


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class MeSerializer(serializers.ModelSerializer):
    """The signed-in person: who they are and where they stand."""

    name = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()
    is_staff_member = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "role", "is_staff_member", "is_org_admin", "time_zone",
                  "organization", "teams"]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return obj.get_full_name() or obj.username

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_organization(self, obj):
        return _ref(obj.organization)

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_teams(self, obj):
        return [{"id": m.team_id, "name": m.team.name} for m in obj.memberships.select_related("team")]


# --- input -----------------------------------------------------------------------------


class CatalogField(serializers.PrimaryKeyRelatedField):
    """An active product or category by id, checked against this process's copy (no query).

    `queryset` still describes the field (schema, browsable API); `rows` answers the id.
    """

    def __init__(self, *, rows, **kwargs):
        self.rows = rows
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)) or not str(data).strip().isdigit():
            self.fail("incorrect_type", data_type=type(data).__name__)
        row = self.rows(int(data), active=True)
        if row is None:
            self.fail("does_not_exist", pk_value=data)
        return row


class ShallowFieldsMixin:
    """Give each instance shallow copies of the declared fields instead of DRF's deep copies.

    DRF deep-copies every declared field (querysets, choices, a list's child) for each
    serializer instance: for the input of a case's creation that copying cost more than the
    validation itself. A shallow copy is enough for input serializers whose fields keep no
    state while validating: each instance still binds its own field objects (name, parent);
    what they share (a list field's child, choices, validators) is only read.
    """

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class CaseCreateInputSerializer(ShallowFieldsMixin, serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.API)
    product = CatalogField(queryset=Product.objects.filter(is_active=True), rows=reference.product_get,
                           required=False, allow_null=True)
    # With its parents: the created case is answered from these rows ("Billing › Refund").
    category = CatalogField(queryset=Category.objects.filter(is_active=True), rows=reference.category_get,
                            required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20, default=list)
    custom_fields = serializers.DictField(required=False, default=dict)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text="Staff only: the customer the case is raised for. Defaults to the caller.",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, default=list,
        help_text="multipart/form-data only; size and type limits apply (413 / 400).",
    )


class CaseUpdateInputSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    custom_fields = serializers.DictField(required=False)
    expected_version = serializers.IntegerField(required=False, min_value=0)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class TransitionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_state = serializers.CharField(required=False, max_length=30)
    expected_version = serializers.IntegerField(required=False, min_value=0)
    into = serializers.CharField(required=False, max_length=20, help_text="merge only: reference of the case to merge into")


class AssignInputSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True)
    team = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_version = serializers.IntegerField(required=False, min_value=0)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=100_000)
    public = serializers.BooleanField(default=True)
    shared = serializers.BooleanField(default=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, max_length=10, default=list)


_DATETIME = serializers.DateTimeField()


def _datetime_out():
    """Return a function rendering instants as `_DATETIME` does, the time zone looked up once.

    DRF's field asks for the current time zone for every value it renders; a case row has
    five of them. ISO 8601 in the current zone, UTC written "Z", as the field writes it;
    anything else (naive values, another output format) goes through the field itself.
    """
    if (api_settings.DATETIME_FORMAT or ISO_8601).lower() != ISO_8601:
        return _DATETIME.to_representation
    zone = timezone.get_current_timezone()

    def at(value):
        if not value or isinstance(value, str) or value.tzinfo is None:
            return _DATETIME.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return at


def _user_brief(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.get_full_name() or user.username, "role": user.role}


def _ref(obj, **extra):
    if obj is None:
        return None
    return {"id": obj.pk, "name": str(obj), **{k: v for k, v in extra.items() if v is not None}}
