import pytest

from workflows.models import RoutingRule

pytestmark = pytest.mark.django_db


def test_admin_refuses_a_bad_rule_with_the_schema_message(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/workflows/routingrule/add/", {
        "name": "Bad", "description": "", "position": 10, "is_active": "on",
        "conditions": '[{"field": "colour", "op": "eq", "value": "red"}]', "actions": '{"team": "ghost"}',
    })
    assert response.status_code == 200
    content = response.content.decode()
    assert "unknown field &#x27;colour&#x27;" in content and "does not exist" in content
    assert not RoutingRule.objects.filter(name="Bad").exists()


def test_admin_saves_a_good_rule_and_raises_its_revision(client, admin_user, support_team):
    client.force_login(admin_user)
    response = client.post("/admin/workflows/routingrule/add/", {
        "name": "Good", "description": "", "position": 10, "is_active": "on",
        "conditions": '[{"field": "priority", "op": "eq", "value": "P1"}]', "actions": '{"team": "support-l1"}',
    })
    assert response.status_code == 302
    assert RoutingRule.objects.get(name="Good").revision == 1


@pytest.mark.parametrize("page", ["team", "membership", "skill", "absence", "routingrule", "automationrule",
                                  "automationrun", "escalationpath", "webhookendpoint", "webhookdelivery",
                                  "notification", "notificationpreference"])
def test_every_admin_list_opens(client, admin_user, page):
    client.force_login(admin_user)
    assert client.get(f"/admin/workflows/{page}/").status_code == 200
